import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { AcquireRequestSchema, LeaseService, RefusalReason, type AcquireResponse } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildControlPlane } from "./app.js";
import { controlPlaneConfigSchema } from "./config.js";
import { createRedisKeys } from "./redis/keys.js";
import { healthServiceDefinition, ServingStatus, type HealthCheckResponse } from "./rpc/health-service.js";
import { openExchange } from "./rpc/lease-server.test-helper.js";

const TOKEN = "drain-test-internal-token-0123";
let redis: TestRedis;
let dataDir: string;

beforeAll(async () => {
  // Pausing every client of the server is only fair on a server of our own.
  redis = await startRedis({ own: true });
  dataDir = await mkdtemp(join(tmpdir(), "control-plane-drain-"));
});

afterAll(async () => {
  await redis?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

type Unary = (request: unknown, metadata: grpc.Metadata, callback: (err: grpc.ServiceError | null, res: unknown) => void) => void;

function unary<T>(client: grpc.Client, method: string, request: unknown, token?: string): Promise<T> {
  const metadata = new grpc.Metadata();
  if (token) metadata.set("x-internal-token", token);
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, Unary>)[method] as Unary;
    fn.call(client, request, metadata, (err, res) => (err ? reject(err) : resolve(res as T)));
  });
}

describe("control plane drain", () => {
  it("answers probes in flight as not ready the moment it drains, finishes calls in flight, ends Exchange streams, then stops", async () => {
    const config = loadConfig(controlPlaneConfigSchema, {
      REDIS_URL: redis.url,
      CONTROL_PLANE_GRPC_PORT: "0",
      CONTROL_PLANE_HTTP_PORT: "0",
      CONTROL_PLANE_METRICS_PORT: "0",
      CONTROL_PLANE_INTERNAL_TOKEN: TOKEN,
      CONTROL_PLANE_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
      CONTROL_PLANE_DATA_DIR: dataDir,
      ADMIN_PASSWORD: "drain-test-admin-password",
    });
    const app = buildControlPlane(config, createLogger({ service: "control-plane", level: "silent" }), {
      keys: createRedisKeys({ prefix: `drain-${randomBytes(4).toString("hex")}` }),
    });
    const { grpcPort, httpPort } = await app.start();
    const base = `http://127.0.0.1:${httpPort}`;
    const leases = new (grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService"))(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const health = new (grpc.makeGenericClientConstructor(healthServiceDefinition, "Health"))(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const pauser = new Redis(redis.url);
    let closed = false;
    try {
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect((await unary<HealthCheckResponse>(health, "check", { service: "" })).status).toBe(ServingStatus.SERVING);
      const unknownKey = { case: "acquire", value: create(AcquireRequestSchema, { keyHash: "0".repeat(64), model: "m" }) } as const;
      // Two open Exchange streams: one idle when the drain begins, one with an Acquire in flight.
      const idle = openExchange(leases, TOKEN);
      const busy = openExchange(leases, TOKEN);
      for (const stream of [idle, busy]) expect((await stream.call(1, unknownKey)).case).toBe("acquire");

      // Redis holds every command for 0.7 s (less than the probes' 1 s PING deadline), so the probes and the
      // Acquire below are in flight when the drain begins, and only the drain can make them answer "not serving".
      await pauser.call("CLIENT", "PAUSE", "700", "ALL");
      const readyz = fetch(`${base}/readyz`).then(async (res) => ({ status: res.status, body: await res.text() }));
      const check = unary<HealthCheckResponse>(health, "check", { service: "" });
      const acquire = unary<AcquireResponse>(leases, "acquire", create(AcquireRequestSchema, { keyHash: "0".repeat(64), model: "m" }), TOKEN);
      const streamed = busy.call(2, unknownKey);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const closing = app.close().then(() => (closed = true));

      expect(await readyz).toEqual({ status: 503, body: "draining\n" });
      expect((await check).status).toBe(ServingStatus.NOT_SERVING);
      // The Acquire that arrived before the drain is answered, not cut.
      expect((await acquire).result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.KEY_INVALID } });
      // The idle stream ends at once; the busy one once its Acquire is answered, both with status OK.
      expect((await idle.status).code).toBe(grpc.status.OK);
      expect(await streamed).toMatchObject({ case: "acquire", value: { result: { case: "refusal", value: { reason: RefusalReason.KEY_INVALID } } } });
      expect((await busy.status).code).toBe(grpc.status.OK);
      await closing;
      expect(closed).toBe(true);
      await expect(fetch(`${base}/readyz`)).rejects.toThrow();
    } finally {
      leases.close();
      health.close();
      pauser.disconnect();
      if (!closed) await app.close();
    }
  });
});

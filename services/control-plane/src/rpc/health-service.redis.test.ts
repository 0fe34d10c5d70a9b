import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { AcquireRequestSchema, LeaseService } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildControlPlane, type ControlPlane } from "../app.js";
import { controlPlaneConfigSchema } from "../config.js";
import { createRedisKeys } from "../redis/keys.js";
import { healthServiceDefinition, ServingStatus, type HealthCheckResponse } from "./health-service.js";

const HealthClient = grpc.makeGenericClientConstructor(healthServiceDefinition, "Health");
const LeaseClient = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");

let redis: TestRedis;
let dataDir: string;
let app: ControlPlane;
let grpcPort: number;

beforeAll(async () => {
  // Our own server: the test stops it.
  redis = await startRedis({ own: true });
  dataDir = await mkdtemp(join(tmpdir(), "control-plane-health-"));
  const config = loadConfig(controlPlaneConfigSchema, {
    REDIS_URL: redis.url,
    CONTROL_PLANE_GRPC_PORT: "0",
    CONTROL_PLANE_HTTP_PORT: "0",
    CONTROL_PLANE_METRICS_PORT: "0",
    CONTROL_PLANE_INTERNAL_TOKEN: "health-test-internal-token-0123",
    CONTROL_PLANE_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    CONTROL_PLANE_DATA_DIR: dataDir,
    ADMIN_PASSWORD: "health-test-password",
  });
  app = buildControlPlane(config, createLogger({ service: "control-plane", level: "silent" }), { keys: createRedisKeys({ prefix: "health-test" }) });
  ({ grpcPort } = await app.start());
});

afterAll(async () => {
  await app?.close();
  await redis?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function check(service: string): Promise<HealthCheckResponse> {
  const client = new HealthClient(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  return new Promise<HealthCheckResponse>((resolve, reject) => {
    // No x-internal-token: probes carry none.
    (client as unknown as { check: Function }).check({ service }, { deadline: Date.now() + 5_000 }, (err: Error | null, res: HealthCheckResponse) =>
      err ? reject(err) : resolve(res),
    );
  }).finally(() => client.close());
}

describe("grpc.health.v1.Health/Check on the lease port", () => {
  it("answers SERVING without a token while Redis answers, for the server and for the lease service", async () => {
    expect(await check("")).toEqual({ status: ServingStatus.SERVING });
    expect(await check("claude_relay.lease.v1.LeaseService")).toEqual({ status: ServingStatus.SERVING });
  });

  it("answers NOT_FOUND for a service it does not serve", async () => {
    await expect(check("some.other.Service")).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it("still asks the lease service's callers for the internal token", async () => {
    const client = new LeaseClient(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    try {
      const call = new Promise((resolve, reject) =>
        (client as unknown as { acquire: Function }).acquire(create(AcquireRequestSchema, {}), (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))),
      );
      await expect(call).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    } finally {
      client.close();
    }
  });

  it("answers NOT_SERVING once Redis is gone", async () => {
    await redis.close();
    expect(await check("")).toEqual({ status: ServingStatus.NOT_SERVING });
  });
});

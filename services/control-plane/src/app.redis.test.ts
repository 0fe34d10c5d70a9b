import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { AcquireRequestSchema, LeaseService, RefusalReason, type AcquireResponse } from "@claude-relay/proto/lease";
import { freePort, startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore } from "./accounts/account-store.js";
import { createCredentialCipher, parseEncryptionKey } from "./accounts/credential-cipher.js";
import { buildControlPlane } from "./app.js";
import { controlPlaneConfigSchema } from "./config.js";
import { createApiKeyStore, hashApiKey } from "./keys/api-key-store.js";
import { createRedis } from "./redis/client.js";
import { createRedisKeys } from "./redis/keys.js";

const TOKEN = "app-test-internal-token-0123";
let redis: TestRedis;
let dataDir: string;

beforeAll(async () => {
  redis = await startRedis();
  dataDir = await mkdtemp(join(tmpdir(), "control-plane-app-"));
});

afterAll(async () => {
  await redis?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function config() {
  return loadConfig(controlPlaneConfigSchema, {
    REDIS_URL: redis.url,
    CONTROL_PLANE_GRPC_PORT: "0",
    CONTROL_PLANE_HTTP_PORT: "0",
    CONTROL_PLANE_METRICS_PORT: "0",
    CONTROL_PLANE_INTERNAL_TOKEN: TOKEN,
    CONTROL_PLANE_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    CONTROL_PLANE_DATA_DIR: dataDir,
  });
}

describe("buildControlPlane", () => {
  it("starts its servers on free ports, serves health, Acquire and (on the operator port only) metrics, and closes cleanly", async () => {
    const printed: string[] = [];
    const app = buildControlPlane(config(), createLogger({ service: "control-plane", level: "silent" }), {
      keys: createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` }),
      print: (line) => printed.push(line),
    });
    const { grpcPort, httpPort, metricsPort } = await app.start();
    let client: grpc.Client | undefined;
    try {
      expect(grpcPort).toBeGreaterThan(0);
      expect(httpPort).toBeGreaterThan(0);
      expect(new Set([grpcPort, httpPort, metricsPort]).size).toBe(3);
      const base = `http://127.0.0.1:${httpPort}`;
      expect((await fetch(`${base}/livez`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);

      const Client = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");
      client = new Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
      const metadata = new grpc.Metadata();
      metadata.set("x-internal-token", TOKEN);
      const response = await new Promise<AcquireResponse>((resolve, reject) =>
        (client as unknown as { acquire: Function }).acquire(create(AcquireRequestSchema, { keyHash: "0".repeat(64), model: "m" }), metadata, (err: Error | null, res: AcquireResponse) =>
          err ? reject(err) : resolve(res),
        ),
      );
      expect(response.result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.KEY_INVALID } });
      const operator = `http://127.0.0.1:${metricsPort}`;
      expect((await fetch(`${operator}/livez`)).status).toBe(200);
      expect((await fetch(`${operator}/readyz`)).status).toBe(200);
      expect((await fetch(`${base}/metrics`)).status).toBe(404);
      const metrics = await (await fetch(`${operator}/metrics`)).text();
      expect(metrics).toContain('control_plane_acquire_total{result="key_invalid",platform="claude",service="control-plane"} 1');

      // The first admin gets a generated password, shown once and kept in the data folder.
      expect(printed).toHaveLength(1);
      const password = (await readFile(join(dataDir, "admin-password"), "utf8")).trim();
      expect(printed[0]).toContain(password);
    } finally {
      client?.close();
      await app.close();
    }
    await expect(fetch(`http://127.0.0.1:${httpPort}/livez`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${metricsPort}/livez`)).rejects.toThrow();
  });

  it("gives up its operator port when the admin port is taken", async () => {
    const first = buildControlPlane(config(), createLogger({ service: "control-plane", level: "silent" }), { print: () => {} });
    const { httpPort } = await first.start();
    const metricsPort = await freePort();
    const settings = { ...config(), CONTROL_PLANE_HTTP_PORT: httpPort, CONTROL_PLANE_METRICS_PORT: metricsPort };
    const second = buildControlPlane(settings, createLogger({ service: "control-plane", level: "silent" }), { print: () => {} });
    try {
      await expect(second.start()).rejects.toThrow(/EADDRINUSE/);
      await expect(fetch(`http://127.0.0.1:${metricsPort}/livez`)).rejects.toThrow();
    } finally {
      await second.close();
      await first.close();
    }
  });

  it("writes the sticky affinity counts its Acquires gathered when it closes", async () => {
    const settings = config();
    const keys = createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` });
    const admin = createRedis(redis.url);
    const app = buildControlPlane(settings, createLogger({ service: "control-plane", level: "silent" }), { keys, print: () => {} });
    let client: grpc.Client | undefined;
    try {
      const cipher = createCredentialCipher(parseEncryptionKey(settings.CONTROL_PLANE_ENCRYPTION_KEY.reveal()));
      await createAccountStore({ redis: admin, keys, cipher }).create({ name: "a", type: "claude-console", credential: { kind: "api-key", apiKey: "sk-a" } });
      const keyHash = hashApiKey((await createApiKeyStore({ redis: admin, keys }).create({ name: "k" })).plaintextKey);
      const { grpcPort } = await app.start();
      const Client = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");
      client = new Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
      const metadata = new grpc.Metadata();
      metadata.set("x-internal-token", TOKEN);
      const response = await new Promise<AcquireResponse>((resolve, reject) =>
        (client as unknown as { acquire: Function }).acquire(
          create(AcquireRequestSchema, { keyHash, model: "claude-sonnet-4-5", sessionHash: "conv" }),
          metadata,
          (err: Error | null, res: AcquireResponse) => (err ? reject(err) : resolve(res)),
        ),
      );
      expect(response.result.case).toBe("lease");
      // Counted in memory, written at most every second: not in Redis yet.
      expect(await admin.hgetall(keys.stickyStats())).toEqual({});
    } finally {
      client?.close();
      await app.close();
    }
    try {
      expect(await admin.hgetall(keys.stickyStats())).toEqual({ new: "1" });
    } finally {
      admin.disconnect();
    }
  });

  it("closes cleanly without having started", async () => {
    const app = buildControlPlane(config(), createLogger({ service: "control-plane", level: "silent" }));
    await expect(app.close()).resolves.toBeUndefined();
  });
});

/**
 * ListModels on the whole control plane as app.ts wires it: the key and the
 * alias table come from the replica's catalog cache, so a warm call sends
 * nothing to Redis, and an alias changed elsewhere (another replica, here
 * another connection announcing it) is served within a second.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { LeaseService, ListModelsRequestSchema, type ListModelsResponse } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildControlPlane, type ControlPlane } from "../app.js";
import { controlPlaneConfigSchema } from "../config.js";
import { createApiKeyStore, hashApiKey } from "../keys/api-key-store.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys } from "../redis/keys.js";
import { recordWrites } from "../redis/record-writes.test-helper.js";
import { createModelAliasStore, type ModelAliasStore } from "./model-alias-store.js";

const TOKEN = "list-models-internal-token-0123";
const LeaseClient = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");

let server: TestRedis;
let dataDir: string;
let app: ControlPlane;
let client: grpc.Client;
let redis: Redis;
let admin: Redis;
let aliases: ModelAliasStore;
let keyHash: string;

beforeAll(async () => {
  server = await startRedis();
  dataDir = await mkdtemp(join(tmpdir(), "control-plane-list-models-"));
  const config = loadConfig(controlPlaneConfigSchema, {
    REDIS_URL: server.url,
    CONTROL_PLANE_GRPC_PORT: "0",
    CONTROL_PLANE_HTTP_PORT: "0",
    CONTROL_PLANE_METRICS_PORT: "0",
    CONTROL_PLANE_INTERNAL_TOKEN: TOKEN,
    CONTROL_PLANE_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    CONTROL_PLANE_DATA_DIR: dataDir,
    ADMIN_PASSWORD: "list-models-password",
  });
  const keys = createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` });
  redis = createRedis(server.url);
  app = buildControlPlane(config, createLogger({ service: "control-plane", level: "silent" }), { keys, redis });
  const { grpcPort } = await app.start();
  client = new LeaseClient(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  // Another connection plays another replica's admin API, announcing its changes as the app's stores do.
  admin = createRedis(server.url);
  aliases = createModelAliasStore({ redis: admin, keys, changes: { publish: async (change) => void (await admin.publish(keys.cacheInvalidation(), JSON.stringify(change))) } });
  keyHash = hashApiKey((await createApiKeyStore({ redis: admin, keys }).create({ name: "k", platforms: ["gemini"] })).plaintextKey);
  await aliases.set("gpt-4o-mini", "gemini-2.5-flash");
});

afterAll(async () => {
  client?.close();
  await app?.close();
  admin?.disconnect();
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function listModels(): Promise<ListModelsResponse> {
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", TOKEN);
  return new Promise((resolve, reject) =>
    (client as unknown as { listModels: Function }).listModels(create(ListModelsRequestSchema, { keyHash }), metadata, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: ListModelsResponse) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

const aliasIds = async () => {
  const res = await listModels();
  if (res.result.case !== "models") throw new Error(`expected models, got ${res.result.case}`);
  return res.result.value.models.filter((m) => !m.id.startsWith("gemini-")).map((m) => `${m.id}=${m.upstreamModel}`);
};

async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - start;
}

describe("ListModels through the whole app", () => {
  it("costs no Redis round trip once warm, and serves an alias changed elsewhere within a second", async () => {
    const log = recordWrites(redis);
    // Warm until a call sends nothing: the invalidation channel is live and the key and the table are cached.
    await until(async () => {
      await listModels();
      log.batches.length = 0;
      expect(await aliasIds()).toEqual(["gpt-4o-mini=gemini-2.5-flash"]);
      return log.batches.length === 0;
    });
    for (let i = 0; i < 5; i++) await listModels();
    expect(log.batches).toEqual([]);

    await aliases.set("gpt-4o", "gemini-2.5-pro");
    const added = await until(async () => (await aliasIds()).includes("gpt-4o=gemini-2.5-pro"));
    await aliases.delete("gpt-4o-mini");
    const deleted = await until(async () => !(await aliasIds()).includes("gpt-4o-mini=gemini-2.5-flash"));
    // An alias targeting a platform the key may not use (Claude; the key is limited to Gemini) is not offered.
    await aliases.set("sonnet", "claude-sonnet-4-5");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await aliasIds()).toEqual(["gpt-4o=gemini-2.5-pro"]);
    expect(added).toBeLessThan(1_000);
    expect(deleted).toBeLessThan(1_000);
  });
});

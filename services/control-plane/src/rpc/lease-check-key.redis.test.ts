/**
 * CheckKey on the Exchange stream, over the cached catalog and a real
 * invalidation channel as app.ts wires them: answered from the cache (no Redis
 * command for a key seen lately, good or unknown), refused once revoked, and
 * every open stream told when keys change.
 */
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { Secret } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { CheckKeyRequestSchema, ExchangeRequestSchema, LeaseService, RefusalReason, type ExchangeRequest, type ExchangeResponse } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createCachedCatalog } from "../cache/cached-catalog.js";
import { createCacheInvalidation, type CacheInvalidation } from "../cache/invalidation.js";
import { createApiKeyStore, hashApiKey, type ApiKeyStore } from "../keys/api-key-store.js";
import { createKeyCheck } from "../keys/check-key.js";
import { createNodeConnection, createRedis, parseRedisTarget } from "../redis/client.js";
import { createRedisKeys } from "../redis/keys.js";
import { createLeaseMetrics } from "./lease-metrics.js";
import { createLeaseServer, type LeaseServer } from "./lease-server.js";

const TOKEN = "check-key-internal-token-0123";
const log = createLogger({ service: "control-plane", level: "silent" });
const LeaseClient = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");

let server: TestRedis;
let redis: Redis;
let invalidation: CacheInvalidation;
let apiKeys: ApiKeyStore;
let leaseServer: LeaseServer;
let client: grpc.Client;
let stopCatalog: () => void;

beforeAll(async () => {
  server = await startRedis({ own: true });
  redis = createRedis(server.url);
  const keys = createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` });
  invalidation = createCacheInvalidation({
    channel: keys.cacheInvalidation(),
    publisher: redis,
    connect: (attempt) => createNodeConnection(parseRedisTarget(server.url), attempt, { connectionName: "check-key-test-sub" }),
    log,
  });
  apiKeys = createApiKeyStore({ redis, keys, changes: invalidation });
  const catalog = createCachedCatalog({ source: { findKeyByHash: apiKeys.findByHash, listAccounts: async () => [], credential: async () => undefined }, invalidation });
  stopCatalog = catalog.stop;
  const unused = () => Promise.reject(new Error("not used here"));
  leaseServer = createLeaseServer({
    acquire: unused,
    renew: unused,
    release: unused,
    checkKey: createKeyCheck({ catalog }),
    invalidation,
    internalToken: new Secret(TOKEN),
    metrics: createLeaseMetrics(createMetricsRegistry("control-plane")),
    log,
  });
  const port = await leaseServer.listen("127.0.0.1", 0);
  client = new LeaseClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  invalidation.start();
  await vi.waitFor(() => expect(invalidation.live).toBe(true));
});

afterAll(async () => {
  client?.close();
  await leaseServer?.close(1_000);
  stopCatalog?.();
  await invalidation?.close();
  redis?.disconnect();
  await server?.close();
});

/** An Exchange stream that sends CheckKey calls and collects KeysChanged notices. */
function openStream() {
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", TOKEN);
  const stream = (client as unknown as { exchange(m: grpc.Metadata): grpc.ClientDuplexStream<ExchangeRequest, ExchangeResponse> }).exchange(metadata);
  const waiting = new Map<number, (result: ExchangeResponse["result"]) => void>();
  let notices = 0;
  let nextId = 1;
  stream.on("data", (response: ExchangeResponse) => {
    if (response.callId === 0 && response.result.case === "keysChanged") notices++;
    waiting.get(response.callId)?.(response.result);
    waiting.delete(response.callId);
  });
  stream.on("error", () => {});
  return {
    check(keyHash: string): Promise<ExchangeResponse["result"]> {
      const callId = nextId++;
      const answer = new Promise<ExchangeResponse["result"]>((resolve) => waiting.set(callId, resolve));
      stream.write(create(ExchangeRequestSchema, { callId, call: { case: "checkKey", value: create(CheckKeyRequestSchema, { keyHash }) } }));
      return answer;
    },
    get notices() {
      return notices;
    },
    close: () => stream.cancel(),
  };
}

/** Commands the server has run so far, INFO's own excluded. */
async function commandsRun(): Promise<number> {
  const info = await redis.info("commandstats");
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (match[1] !== "info") total += Number(match[2]);
  return total;
}

describe("CheckKey", () => {
  it("accepts a key with its id and refuses an unknown one, then answers both again without Redis", async () => {
    const { record, plaintextKey } = await apiKeys.create({ name: "check", allowedModels: ["claude-haiku-*"] });
    const unknown = hashApiKey("cr_not-a-key");
    const stream = openStream();
    try {
      expect(await stream.check(record.keyHash)).toMatchObject({ case: "checkKey", value: { result: { case: "accepted", value: { keyId: record.id } } } });
      expect(await stream.check(unknown)).toMatchObject({
        case: "checkKey",
        value: { result: { case: "refusal", value: { reason: RefusalReason.KEY_INVALID, message: "invalid x-api-key" } } },
      });
      const before = await commandsRun();
      for (let i = 0; i < 100; i++) {
        expect((await stream.check(hashApiKey(plaintextKey))).case).toBe("checkKey");
        expect((await stream.check(unknown)).case).toBe("checkKey");
      }
      expect((await commandsRun()) - before).toBe(0);
    } finally {
      stream.close();
    }
  });

  it("tells every open stream when a key is revoked, and refuses it from then on", async () => {
    const { record } = await apiKeys.create({ name: "revoked soon" });
    const [a, b] = [openStream(), openStream()];
    try {
      expect(await a.check(record.keyHash)).toMatchObject({ value: { result: { case: "accepted" } } });
      expect(await b.check(record.keyHash)).toMatchObject({ value: { result: { case: "accepted" } } });
      await apiKeys.revoke(record.id);
      // Told at least once each (the replica's own write and its echo on the channel may both be told).
      await vi.waitFor(() => expect(Math.min(a.notices, b.notices)).toBeGreaterThan(0));
      expect(await a.check(record.keyHash)).toMatchObject({ value: { result: { case: "refusal", value: { message: "this API key has been revoked" } } } });
    } finally {
      a.close();
      b.close();
    }
  });

  it("answers a malformed key hash INVALID_ARGUMENT", async () => {
    const stream = openStream();
    try {
      expect(await stream.check("not-hex")).toMatchObject({ case: "error", value: { code: grpc.status.INVALID_ARGUMENT } });
    } finally {
      stream.close();
    }
  });
});

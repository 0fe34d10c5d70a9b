/**
 * Test helpers shared by the lease server tests: a lease server over the real
 * domain and a real Redis, a grpc-js client on loopback, and an Exchange
 * stream that collects its answers by call id.
 */
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { Secret } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { ExchangeRequestSchema, LeaseService, type ExchangeRequest, type ExchangeResponse } from "@claude-relay/proto/lease";
import type { Redis } from "ioredis";
import { createAccountStore, type AccountStore } from "../accounts/account-store.js";
import { createCredentialCipher } from "../accounts/credential-cipher.js";
import { createHealthStore, type HealthStore } from "../accounts/health-store.js";
import { createApiKeyStore, type ApiKeyStore } from "../keys/api-key-store.js";
import { createAcquireLease } from "../leases/acquire-lease.js";
import { createLeaseStore } from "../leases/lease-store.js";
import { createQueuedAcquire } from "../leases/queued-acquire.js";
import { createWaitQueue } from "../leases/wait-queue.js";
import { createReleaseLease } from "../leases/release-lease.js";
import { createRenewLease } from "../leases/renew-lease.js";
import { createListModels } from "../models/list-models.js";
import { createModelAliasStore, type ModelAliasStore } from "../models/model-alias-store.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createStickyStore } from "../sessions/sticky-store.js";
import { loadPriceTable } from "../usage/pricing.js";
import { createUsageRecorder } from "../usage/usage-recorder.js";
import { createLeaseMetrics } from "./lease-metrics.js";
import { createLeaseServer, type LeaseServer } from "./lease-server.js";

/** The internal token every harness accepts. */
export const TOKEN = "internal-token-for-tests-0123";
/** The lease TTL every harness grants. */
export const TTL = 30_000;

const LeaseClient = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");

/** Options of startHarness. */
export interface HarnessOptions {
  keys?: RedisKeys;
  isDraining?: () => boolean;
  /** Awaited before each domain call runs, so a test can hold calls in flight. */
  beforeCall?: (method: "acquire" | "renew" | "release") => Promise<void>;
  /** With true, Acquire and Release keep account health (as app.ts wires them); without it every account is healthy. */
  health?: boolean;
  /** false serves Exchange as a control plane older than batches; default true. */
  exchangeBatches?: boolean;
  /** With it, Acquire waits in the queue (queued-acquire.ts) as app.ts wires it, every key bound to waitMs. */
  queue?: { waitMs: number; pollMs?: number };
}

/** A lease server on loopback with its stores and a client. */
export interface Harness {
  redis: Redis;
  keys: RedisKeys;
  server: LeaseServer;
  client: grpc.Client;
  registry: ReturnType<typeof createMetricsRegistry>;
  accounts: AccountStore;
  apiKeys: ApiKeyStore;
  aliases: ModelAliasStore;
  /** The health store, when the harness keeps health. */
  health: HealthStore | undefined;
  close(): Promise<void>;
}

/** Starts a lease server over the real domain on redisUrl. */
export async function startHarness(redisUrl: string, options: HarnessOptions = {}): Promise<Harness> {
  const log = createLogger({ service: "control-plane", level: "silent" });
  const keys = options.keys ?? createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` });
  const redis = createRedis(redisUrl, { commandTimeoutMs: 1_000 });
  redis.on("error", () => {});
  const registry = createMetricsRegistry("control-plane");
  const accounts = createAccountStore({ redis, cipher: createCredentialCipher(randomBytes(32)), keys });
  const apiKeys = createApiKeyStore({ redis, keys });
  const aliases = createModelAliasStore({ redis, keys });
  const leases = createLeaseStore({ redis, ttlMs: TTL, keys });
  const sticky = createStickyStore({ redis, keys });
  const catalog = { findKeyByHash: apiKeys.findByHash, listAccounts: accounts.list, credential: accounts.credential };
  const health = options.health ? createHealthStore({ redis, keys, probeTtlMs: TTL }) : undefined;
  const direct = createAcquireLease({ catalog, leases, sticky, log, ...(health && { health }) });
  const queued =
    options.queue &&
    createQueuedAcquire({
      acquire: direct,
      catalog,
      queue: createWaitQueue({ redis, keys, aliveMs: 1_000 }),
      defaultWaitMs: options.queue.waitMs,
      maxWaiters: 100,
      pollMs: options.queue.pollMs ?? 20,
      log,
    });
  const acquire = queued ? queued.acquire : direct;
  const renew = createRenewLease({ leases });
  const prices = loadPriceTable();
  const release = createReleaseLease({ leases, log, usage: createUsageRecorder({ redis, keys, prices }), catalog, sticky, ...(health && { health }) });
  const listModels = createListModels({ catalog: { ...catalog, listModelAliases: aliases.list }, prices });
  const before = options.beforeCall ?? (async () => {});
  const server = createLeaseServer({
    acquire: async (input) => (await before("acquire"), acquire(input)),
    renew: async (leaseId) => (await before("renew"), renew(leaseId)),
    release: async (input) => (await before("release"), release(input).finally(() => queued?.slotFreed())),
    listModels,
    internalToken: new Secret(TOKEN),
    metrics: createLeaseMetrics(registry),
    log,
    isDraining: options.isDraining,
    exchangeBatches: options.exchangeBatches,
  });
  const port = await server.listen("127.0.0.1", 0);
  const client = new LeaseClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    redis,
    keys,
    server,
    client,
    registry,
    accounts,
    apiKeys,
    aliases,
    health,
    async close() {
      client.close();
      queued?.close();
      await server.close(1_000);
      redis.disconnect();
    },
  };
}

/** An open Exchange stream, client side. */
export interface ExchangeClient {
  /** Sends one request and resolves with the result answered for its call id; rejects when the stream ends first. */
  call(callId: number, call: ExchangeRequest["call"]): Promise<ExchangeResponse["result"]>;
  /** The call ids in the order their answers arrived. */
  readonly answered: number[];
  /** Notices that came before an answer (an Acquire joined the queue), by call id. */
  readonly queued: Map<number, { place: number; waitMs: number }>;
  /** Resolves with the stream's final status (OK when the server ended it). */
  readonly status: Promise<grpc.StatusObject>;
  /** True once the final status arrived. */
  readonly ended: boolean;
  halfClose(): void;
  cancel(): void;
}

/** Opens an Exchange stream; `token: null` sends none. */
export function openExchange(client: grpc.Client, token: string | null = TOKEN): ExchangeClient {
  const metadata = new grpc.Metadata();
  if (token !== null) metadata.set("x-internal-token", token);
  const open = (client as unknown as { exchange(metadata: grpc.Metadata): grpc.ClientDuplexStream<ExchangeRequest, ExchangeResponse> }).exchange;
  const stream = open.call(client, metadata);
  const waiting = new Map<number, { resolve(result: ExchangeResponse["result"]): void; reject(err: Error): void }>();
  const answered: number[] = [];
  const queued = new Map<number, { place: number; waitMs: number }>();
  let ended = false;
  stream.on("data", (response: ExchangeResponse) => {
    if (response.result.case === "queued") {
      queued.set(response.callId, { place: response.result.value.place, waitMs: response.result.value.waitMs });
      return;
    }
    answered.push(response.callId);
    waiting.get(response.callId)?.resolve(response.result);
    waiting.delete(response.callId);
  });
  // The failure also arrives as 'status'; without a listener 'error' would throw.
  stream.on("error", () => {});
  const status = new Promise<grpc.StatusObject>((resolve) =>
    stream.on("status", (s: grpc.StatusObject) => {
      ended = true;
      for (const [callId, call] of waiting) call.reject(new Error(`the stream ended (${s.code}) before call ${callId} was answered`));
      waiting.clear();
      resolve(s);
    }),
  );
  return {
    call(callId, call) {
      const answer = new Promise<ExchangeResponse["result"]>((resolve, reject) => waiting.set(callId, { resolve, reject }));
      stream.write(create(ExchangeRequestSchema, { callId, call }));
      return answer;
    },
    answered,
    queued,
    status,
    get ended() {
      return ended;
    },
    halfClose: () => stream.end(),
    cancel: () => stream.cancel(),
  };
}

/** A gate a test opens by hand: `wait()` resolves once `open()` was called. */
export function createGate(): { wait(): Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { wait: () => opened, open: () => open() };
}

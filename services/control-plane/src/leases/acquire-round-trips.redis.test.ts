/**
 * What Acquire and Release cost in Redis once the caches are warm, measured on
 * the whole control plane as app.ts wires it (every store, health, limits,
 * usage, sessions), called over gRPC. A round trip is one write on the
 * command connection: auto-pipelining sends a tick's commands together. The
 * affinity counts and the session index are written by timers of their own,
 * which no call waits for: their commands are left out of a call's count.
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
import { AcquireRequestSchema, LeaseService, OutcomeKind, ReleaseRequestSchema, type AcquireResponse } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore } from "../accounts/account-store.js";
import { createCredentialCipher, parseEncryptionKey } from "../accounts/credential-cipher.js";
import { buildControlPlane, type ControlPlane } from "../app.js";
import { controlPlaneConfigSchema } from "../config.js";
import { createApiKeyStore, hashApiKey } from "../keys/api-key-store.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys } from "../redis/keys.js";
import { recordWrites, type SentCommand } from "../redis/record-writes.test-helper.js";

const TOKEN = "round-trips-internal-token-0123";
const LeaseClient = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");

let server: TestRedis;
let dataDir: string;
let app: ControlPlane;
let client: grpc.Client;
let redis: Redis;
let keyHash: string;
let keys: ReturnType<typeof createRedisKeys>;
const accountIds: string[] = [];

type Sent = SentCommand;

beforeAll(async () => {
  server = await startRedis();
  dataDir = await mkdtemp(join(tmpdir(), "control-plane-round-trips-"));
  const config = loadConfig(controlPlaneConfigSchema, {
    REDIS_URL: server.url,
    CONTROL_PLANE_GRPC_PORT: "0",
    CONTROL_PLANE_HTTP_PORT: "0",
    CONTROL_PLANE_METRICS_PORT: "0",
    CONTROL_PLANE_INTERNAL_TOKEN: TOKEN,
    CONTROL_PLANE_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    CONTROL_PLANE_DATA_DIR: dataDir,
    ADMIN_PASSWORD: "round-trips-password",
  });
  keys = createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` });
  redis = createRedis(server.url);
  app = buildControlPlane(config, createLogger({ service: "control-plane", level: "silent" }), { keys, redis });
  const { grpcPort } = await app.start();
  client = new LeaseClient(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());

  // Another connection plays the admin: the app learns of these through its invalidation channel.
  const admin = createRedis(server.url);
  try {
    const accounts = createAccountStore({ redis: admin, keys, cipher: createCredentialCipher(parseEncryptionKey(config.CONTROL_PLANE_ENCRYPTION_KEY.reveal())) });
    for (let i = 0; i < 3; i++) {
      const account = await accounts.create({ name: `acct-${i}`, type: "claude-console", maxConcurrentTasks: 5, credential: { kind: "api-key", apiKey: `sk-${i}` } });
      accountIds.push(account.id);
    }
    keyHash = hashApiKey((await createApiKeyStore({ redis: admin, keys }).create({ name: "k", concurrencyLimit: 10 })).plaintextKey);
  } finally {
    admin.disconnect();
  }
});

afterAll(async () => {
  client?.close();
  await app?.close();
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function call<T>(method: "acquire" | "release", request: unknown): Promise<T> {
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", TOKEN);
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, Function>)[method]!.bind(client);
    fn(request, metadata, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

const acquire = (sessionHash: string, hash = keyHash) => call<AcquireResponse>("acquire", create(AcquireRequestSchema, { keyHash: hash, model: "claude-sonnet-4-5", sessionHash }));
const release = (leaseId: string) =>
  call("release", create(ReleaseRequestSchema, { leaseId, outcome: { kind: OutcomeKind.SUCCESS, status: 200 }, usage: { model: "claude-sonnet-4-5", inputTokens: 10, outputTokens: 20 }, latencyMs: 12 }));
const leaseId = (res: AcquireResponse) => {
  if (res.result.case !== "lease") throw new Error(`expected a lease, got ${res.result.case}`);
  return res.result.value.leaseId;
};
const accountOf = (res: AcquireResponse) => (res.result.case === "lease" ? res.result.value.account?.id : undefined);

/**
 * A command of a timed flush (affinity counts, session index) or of the notifications' own loops (the delivery
 * loop, the recovery sweep, all under the `{notify}` tag): no call issues or waits for one.
 */
const isTimedFlush = ({ name, first }: Sent) =>
  (name === "hincrby" && first === keys.stickyStats()) || (name === "zadd" && first === keys.sessionIndex()) || first.startsWith(keys.notifications(""));

/** Runs fn after the connection went quiet; returns the writes it caused, waiting a moment for writes it left in flight. */
async function measure<T>(log: { batches: Sent[][] }, fn: () => Promise<T>): Promise<{ result: T; batches: Sent[][] }> {
  await new Promise((resolve) => setTimeout(resolve, 50));
  log.batches.length = 0;
  const result = await fn();
  // A timed flush that fell inside the call is not the call's: a write of its own is dropped, and one
  // that auto-pipelining merged into the call's write (same event-loop turn) loses its commands.
  const onPath = log.batches.flatMap((batch) => {
    const kept = batch.filter((command) => !isTimedFlush(command));
    return batch.length === 0 || kept.length > 0 ? [kept] : [];
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { result, batches: onPath };
}

/** Resolves once check() holds; fails after timeoutMs. */
async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(20);
  }
}

/** True when a command touches what the catalog caches: key and account records, the hash lookup, the id sets. */
const readsCatalog = (batches: Sent[][]) => batches.flat().some(({ first }) => /:(account|apikey|apikey-hash):|:(accounts|apikeys)$/.test(first));

const describeBatches = (batches: Sent[][]) =>
  `${batches.length} round trips, ${batches.flat().length} commands (${batches.map((b) => b.map((c) => c.name).join(" ")).join(" | ")})`;

describe("Acquire's Redis cost on a warm cache, through the whole app", () => {
  it("reads no key or account from Redis, and takes one round trip once the replica has read the accounts; Release takes one", async () => {
    const log = recordWrites(redis);
    // Warm up until an Acquire reads no record: the invalidation channel is live and every credential is cached.
    for (let tries = 0; ; tries++) {
      const warm = await Promise.all([acquire("session-1"), ...Array.from({ length: 5 }, () => acquire(""))]);
      await Promise.all(warm.map((res) => release(leaseId(res))));
      const probe = await measure(log, () => acquire(""));
      await release(leaseId(probe.result));
      if (!readsCatalog(probe.batches) || tries >= 50) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const sticky = await measure(log, () => acquire("session-1"));
    const plain = await measure(log, () => acquire(""));
    const released = await measure(log, () => release(leaseId(sticky.result)));
    await release(leaseId(plain.result));
    const unknown = await measure(log, () => acquire("", "f".repeat(64)));
    const unknownAgain = await measure(log, () => acquire("", "f".repeat(64)));
    console.log(
      [
        `Acquire with a sticky session: ${describeBatches(sticky.batches)}`,
        `Acquire without a session: ${describeBatches(plain.batches)}`,
        `Release: ${describeBatches(released.batches)}`,
        `Acquire with an unknown key: ${unknown.batches.length} round trips, then ${unknownAgain.batches.length} once the miss is cached`,
      ].join("\n"),
    );

    for (const measured of [sticky, plain]) {
      expect(measured.result.result.case).toBe("lease");
      // Keys and accounts come from the cache: no record, index or credential read.
      expect(readsCatalog(measured.batches)).toBe(false);
      // The account the last reads named took its slot alongside the reads, and the reads agreed.
      expect(measured.batches).toHaveLength(1);
      // Affinity is counted in memory: no HINCRBY on the path.
      expect(measured.batches.flat().filter(({ name }) => name === "hincrby")).toEqual([]);
    }
    // A session that stays on its account costs no write of its own: reading its binding (GETEX) renewed it,
    // and its record is updated by Release. So it sends no more scripts than an Acquire without a session.
    const stickyNames = sticky.batches.flat().map((c) => c.name);
    expect(stickyNames).toContain("getex");
    expect(stickyNames.filter((name) => name === "set" || name === "zadd")).toEqual([]);
    const scripts = (batches: Sent[][]) => batches.flat().filter((c) => c.name === "evalsha").length;
    expect(scripts(sticky.batches)).toBe(scripts(plain.batches));
    // The slots, the outcome and the usage (one call per hash tag) go in one write.
    expect(released.batches).toHaveLength(1);
    // Its scripts are the usage, one per hash tag (key, account, day): a success on an account this
    // replica read as healthy sends no health script.
    expect(released.batches.flat().filter((c) => c.name === "evalsha")).toHaveLength(3);
    expect(unknownAgain.batches).toHaveLength(0);
  });

  it("gives the guessed account its slot back when the fresh reads name another", async () => {
    const first = await acquire("session-moved");
    const guessed = accountOf(first) as string;
    await release(leaseId(first));
    // Another replica moved the session meanwhile: this replica's last reads still name the old account.
    const moved = accountIds.find((id) => id !== guessed) as string;
    await redis.set(keys.sticky("session-moved"), moved);

    const second = await acquire("session-moved");
    try {
      expect(accountOf(second)).toBe(moved);
      expect(await redis.get(keys.sticky("session-moved"))).toBe(moved);
      expect(await redis.zcard(keys.accountLeases(guessed))).toBe(0);
      expect(await redis.zcard(keys.accountLeases(moved))).toBe(1);
    } finally {
      await release(leaseId(second));
    }
  });

  it("binds a new session with its record in the slots' write, and binds again one whose binding expired while this replica remembered it", async () => {
    const log = recordWrites(redis);
    const first = await measure(log, () => acquire("session-new"));
    const served = accountOf(first.result) as string;
    await release(leaseId(first.result));
    const names = first.batches.flat().map((c) => c.name);
    expect(names).toContain("set");
    expect(first.batches).toHaveLength(1);
    expect(await redis.get(keys.sticky("session-new"))).toBe(served);
    // The record's script went in that one write; the index entry follows with this replica's timed flush.
    expect(await redis.hget(keys.session("session-new"), "firstSeenMs")).not.toBeNull();
    await until(async () => (await redis.zscore(keys.sessionIndex(), "session-new")) !== null);

    await redis.del(keys.sticky("session-new"));
    const again = await acquire("session-new");
    try {
      expect(await redis.get(keys.sticky("session-new"))).toBe(accountOf(again));
      expect(await redis.ttl(keys.sticky("session-new"))).toBeGreaterThan(0);
    } finally {
      await release(leaseId(again));
    }
  });
});

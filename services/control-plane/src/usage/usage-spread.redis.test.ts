/**
 * Where Release's writes land on a 3-node Redis Cluster this test starts
 * itself: many Releases over several keys, accounts and sessions, through the
 * release path with every writer it has (slots, health, usage, session records,
 * continuation bindings). Their writes reach all three nodes (INFO
 * commandstats per node), no slot takes a write from every Release (each
 * written key mapped to its slot with CLUSTER KEYSLOT), and the admin reads
 * sum the shards back to the exact totals.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { createLogger } from "@claude-relay/logging";
import { OutcomeKind } from "@claude-relay/proto/lease";
import { freePort, startRedis, type TestRedis } from "@claude-relay/testkit";
import { Redis, type Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountRecord } from "../accounts/account-store.js";
import { createHealthStore } from "../accounts/health-store.js";
import { formatLeaseId } from "../leases/lease-id.js";
import { createLeaseStore } from "../leases/lease-store.js";
import { createReleaseLease, type ReleaseInput } from "../leases/release-lease.js";
import { createRedisClient, parseRedisTarget, type RedisClient } from "../redis/client.js";
import { createRedisKeys, USAGE_SHARDS } from "../redis/keys.js";
import { createSessionStore, type SessionStore } from "../sessions/session-store.js";
import { createStickyStore } from "../sessions/sticky-store.js";
import { hashTagOf } from "./usage-batch.js";
import { loadPriceTable, priceRequest } from "./pricing.js";
import { createUsageReader } from "./usage-reader.js";
import { createUsageRecorder } from "./usage-recorder.js";

const run = promisify(execFile);
const log = createLogger({ service: "control-plane", level: "silent" });
const prices = loadPriceTable();
const NOW = Date.parse("2025-01-15T13:45:00Z");
const DAY = "2025-01-15";
const MODEL = "claude-sonnet-4-5";
// Fixed ids, so the owners' slots are the same on every run; the lease ids (and so their shards) are random.
const KEYS = Array.from({ length: 16 }, (_, i) => `key-${i}`);
const ACCOUNTS = Array.from({ length: 24 }, (_, i) => `acct-${i}`);
const ONE_BY_ONE = 240;
const WAVES = 8;
const WAVE = 40;

/** One command as issued on the client: its name and the keys it names. */
interface Issued {
  name: string;
  keys: string[];
}

/** The commands the Release path may issue; reads among them are left out of its writes below. */
const COMMANDS = new Set(["eval", "evalsha", "zrem", "zadd", "set", "hset", "hincrby", "incrby", "del", "expire", "getex", "get", "hgetall", "hmget"]);
const READS = new Set(["get", "hgetall", "hmget"]);

/** The client, logging every command issued through it (the keys of a script call, the first argument of the others). */
function logging(client: Cluster): { redis: RedisClient; issued: Issued[] } {
  const issued: Issued[] = [];
  const redis = new Proxy(client, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof prop !== "string" || typeof value !== "function" || !COMMANDS.has(prop)) return value;
      return (...args: unknown[]) => {
        const keys = prop === "eval" || prop === "evalsha" ? args.slice(2, 2 + Number(args[1])) : args.slice(0, 1);
        issued.push({ name: prop, keys: keys.map(String) });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { redis, issued };
}

let nodes: TestRedis[] = [];
let cluster: Cluster;

beforeAll(async () => {
  const ports = [await freePort(), await freePort(), await freePort()];
  nodes = await Promise.all(
    ports.map((port) => startRedis({ own: true, port, args: ["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", "2000"] })),
  );
  await run("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"], { timeout: 30_000 });
  for (const port of ports) await waitClusterOk(port);
  cluster = createRedisClient(parseRedisTarget(`redis+cluster://127.0.0.1:${ports[0]}`, ports.slice(1).map((p) => `127.0.0.1:${p}`).join(","))) as Cluster;
  await cluster.ping();
}, 60_000);

afterAll(async () => {
  cluster?.disconnect();
  await Promise.all(nodes.map((n) => n.close()));
});

async function waitClusterOk(port: number): Promise<void> {
  const client = new Redis(port, "127.0.0.1");
  try {
    const deadline = Date.now() + 20_000;
    while (!String(await client.cluster("INFO")).includes("cluster_state:ok")) {
      if (Date.now() > deadline) throw new Error(`cluster not ok on ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.disconnect();
  }
}

/** Runs fn on a plain connection to each node, in node order. */
async function onEachNode<T>(fn: (node: Redis) => Promise<T>): Promise<T[]> {
  return Promise.all(
    nodes.map(async ({ port }) => {
      const node = new Redis(port, "127.0.0.1");
      try {
        return await fn(node);
      } finally {
        node.disconnect();
      }
    }),
  );
}

/** Calls per command since the last RESETSTAT on each node, in node order. */
const commandStats = () =>
  onEachNode(async (node) => {
    const info = await node.info("commandstats");
    return Object.fromEntries([...info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map((m) => [m[1] as string, Number(m[2])]));
  });

describe("Release's writes on a 3-node Redis Cluster", () => {
  it("reach all three nodes, put no slot on every Release's path, and sum back to the exact totals", async () => {
    const keys = createRedisKeys({ prefix: `spread-${randomBytes(4).toString("hex")}` });
    const { redis, issued } = logging(cluster);
    const accounts = ACCOUNTS.map((id) => ({ id, name: id, type: "claude-console" }) as AccountRecord);
    await Promise.all(ACCOUNTS.map((id) => cluster.hset(keys.account(id), { name: id })));
    // Timed writes (the session index) stay out of the Releases: this store flushes its index only when closed.
    const sessions: SessionStore = createSessionStore({ redis, keys, indexFlushMs: 3_600_000 });
    const release = createReleaseLease({
      leases: createLeaseStore({ redis, keys, ttlMs: 30_000, now: () => NOW }),
      log,
      usage: createUsageRecorder({ redis, keys, prices }),
      sessions,
      sticky: createStickyStore({ redis, keys }),
      health: createHealthStore({ redis, keys, probeTtlMs: 30_000, now: () => NOW }),
      catalog: { listAccounts: async () => accounts },
      now: () => NOW,
    });
    const inputOf = (n: number): ReleaseInput => ({
      leaseId: formatLeaseId(ACCOUNTS[n % ACCOUNTS.length] as string, KEYS[n % KEYS.length] as string),
      outcome: OutcomeKind.SUCCESS,
      status: 200,
      detail: "",
      usage: { inputTokens: 100 + n, outputTokens: 10 + (n % 7), cacheCreationInputTokens: 0, cacheReadInputTokens: n % 5 },
      model: MODEL,
      latencyMs: 5,
      ttfbMs: 1,
      sessionHash: `session-${n % 40}`,
      frontDoor: "anthropic",
      ...(n % 3 === 0 && { continuationHashes: [`resp-${n}`] }),
    });
    await onEachNode((node) => node.config("RESETSTAT"));

    // One by one, so each Release's commands are its own: the slots each one writes.
    const slotsByRelease: Set<number>[] = [];
    const slotOf = memoSlot(cluster);
    for (let n = 0; n < ONE_BY_ONE; n++) {
      const from = issued.length;
      await release(inputOf(n));
      const written = issued.slice(from).filter(({ name }) => !READS.has(name));
      slotsByRelease.push(new Set(await Promise.all(written.flatMap(({ keys: named }) => named.map(slotOf)))));
    }
    // Then in waves of concurrent Releases, as a busy replica sees them: their usage is batched.
    for (let wave = 0; wave < WAVES; wave++) {
      await Promise.all(Array.from({ length: WAVE }, (_, i) => release(inputOf(ONE_BY_ONE + wave * WAVE + i))));
    }
    const stats = await commandStats();
    await sessions.close();
    const releases = ONE_BY_ONE + WAVES * WAVE;

    // No slot took a write from every Release: the busiest took about a tenth of them (a day's shard or an
    // API key each take a sixteenth, give or take chance).
    const releasesBySlot = new Map<number, number>();
    for (const slots of slotsByRelease) for (const slot of slots) releasesBySlot.set(slot, (releasesBySlot.get(slot) ?? 0) + 1);
    const busiest = Math.max(...releasesBySlot.values());
    expect(busiest).toBeLessThan(ONE_BY_ONE / 5);
    // And every node took writes from a good share of the Releases.
    const ranges = await slotRanges(cluster);
    const nodeOf = (slot: number) => ranges.find(([start, end]) => slot >= start && slot <= end)?.[2] as number;
    const releasesByNode = nodes.map(({ port }) => slotsByRelease.filter((slots) => [...slots].some((slot) => nodeOf(slot) === port)).length);
    for (const count of releasesByNode) expect(count).toBeGreaterThan(ONE_BY_ONE / 4);

    // The day's counters: one shard per Release, all 16 written, never the unsharded copy.
    const dayTags = new Set(issued.flatMap(({ keys: named }) => named.map(hashTagOf)).filter((tag) => tag.startsWith("day:")));
    expect([...dayTags].sort()).toEqual(Array.from({ length: USAGE_SHARDS }, (_, s) => `day:${DAY}:s${String(s).padStart(2, "0")}`));
    const dayNodes = new Set(await Promise.all([...dayTags].map(async (tag) => nodeOf(await slotOf(`{${tag}}`)))));
    expect(dayNodes.size).toBe(3);

    // Every node ran script calls and slot removals.
    const scriptCalls = stats.map((s) => (s.evalsha ?? 0) + (s.eval ?? 0));
    for (const [i, s] of stats.entries()) {
      expect(scriptCalls[i]).toBeGreaterThan(0);
      expect(s.zrem ?? 0).toBeGreaterThan(0);
    }
    console.info(
      `usage spread: ${releases} Releases; script calls per node ${scriptCalls.join(" / ")}, ZREM per node ${stats.map((s) => s.zrem ?? 0).join(" / ")}; ` +
        `of ${ONE_BY_ONE} one-by-one Releases, ${releasesBySlot.size} slots written, the busiest slot by ${busiest}, each node by ${releasesByNode.join(" / ")}; ` +
        `the day's ${USAGE_SHARDS} shards on ${dayNodes.size} nodes`,
    );

    // The admin reads sum the shards back exactly.
    const inputs = Array.from({ length: releases }, (_, n) => inputOf(n));
    const sum = (of: ReleaseInput[]) => ({
      requests: of.length,
      input_tokens: of.reduce((t, i) => t + i.usage.inputTokens, 0),
      output_tokens: of.reduce((t, i) => t + i.usage.outputTokens, 0),
      cache_read_input_tokens: of.reduce((t, i) => t + i.usage.cacheReadInputTokens, 0),
      cost_nanos: of.reduce((t, i) => t + costOf(i), 0),
    });
    const reader = createUsageReader({ redis: cluster, keys });
    expect((await reader.daily({ kind: "total" }, [DAY]))[0]).toMatchObject(sum(inputs));
    expect((await reader.hourly({ kind: "total" }, DAY))[13]).toMatchObject(sum(inputs));
    expect((await reader.daily({ kind: "model", id: MODEL }, [DAY]))[0]).toMatchObject(sum(inputs));
    expect((await reader.breakdown("platform", [DAY])).get("claude")).toMatchObject(sum(inputs));
    expect((await reader.breakdown("front-door", [DAY])).get("anthropic")).toMatchObject(sum(inputs));
    const byKey = await reader.breakdown("key", [DAY]);
    const byAccount = await reader.breakdown("account", [DAY]);
    for (const [i, id] of KEYS.entries()) {
      const expected = sum(inputs.filter((_, n) => n % KEYS.length === i));
      expect(byKey.get(id)).toMatchObject(expected);
      expect((await reader.daily({ kind: "key", id }, [DAY]))[0]).toMatchObject(expected);
    }
    for (const [i, id] of ACCOUNTS.entries()) expect(byAccount.get(id)).toMatchObject(sum(inputs.filter((_, n) => n % ACCOUNTS.length === i)));
  }, 60_000);
});

function costOf(input: ReleaseInput): number {
  const cost = priceRequest(prices, MODEL, input.usage);
  if (!cost.priced) throw new Error("unpriced");
  return cost.nanos;
}

/** CLUSTER KEYSLOT, asked once per key. */
function memoSlot(client: Cluster): (key: string) => Promise<number> {
  const known = new Map<string, Promise<number>>();
  return (key) => {
    let slot = known.get(key);
    if (slot === undefined) {
      slot = client.cluster("KEYSLOT", key) as Promise<number>;
      known.set(key, slot);
    }
    return slot;
  };
}

/** [first slot, last slot, port of the primary] for every range. */
async function slotRanges(client: Cluster): Promise<[number, number, number][]> {
  const slots = await client.cluster("SLOTS");
  return slots.map(([start, end, primary]) => [start, end, Number(primary?.[1])]);
}

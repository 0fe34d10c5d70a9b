import { randomBytes, randomUUID } from "node:crypto";
import { createMetricsRegistry, Histogram, type Registry } from "@claude-relay/metrics";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountRecord } from "../accounts/account-store.js";
import { createHealthStore, type HealthStore } from "../accounts/health-store.js";
import { createLeaseStore, type LeaseStore } from "../leases/lease-store.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys } from "../redis/keys.js";
import { createAccountMetrics, HEALTH_STATES } from "./account-metrics.js";

const TTL = 30_000;
const keys = createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` });
let server: TestRedis;
let redis: Redis;
let leases: LeaseStore;
let health: HealthStore;
let clock = 1_900_000_000_000;
const now = () => clock;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
  leases = createLeaseStore({ redis, keys, ttlMs: TTL, now });
  health = createHealthStore({ redis, keys, now, probeTtlMs: TTL });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

async function account(maxConcurrentTasks: number): Promise<AccountRecord> {
  const id = randomUUID();
  await redis.hset(keys.account(id), { type: "claude-console", name: id });
  return {
    id, name: id, type: "claude-console", baseUrl: "https://api.anthropic.com", priority: 50, maxConcurrentTasks, schedulable: true,
    proxyUrl: "", createdAtMs: clock, lastUsedAtMs: 0, tokenExpiresAtMs: 0, group: "", allowedModels: [], projectId: "", tokenUrl: "",
    chatgptAccountId: "",
  };
}

type Sample = { labels: Record<string, string | number>; value: number };
async function samples(registry: Registry, name: string): Promise<Sample[]> {
  return ((await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values ?? []) as Sample[];
}
const valueOf = (list: Sample[], labels: Record<string, string>) =>
  list.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe("createAccountMetrics", () => {
  it("reports live leases against each limit, leaving expired leases out", async () => {
    const a1 = await account(3);
    const a2 = await account(0);
    await leases.acquire(`${a1.id}:k:1`, { kind: "account", id: a1.id }, 3);
    await leases.acquire(`${a1.id}:k:2`, { kind: "account", id: a1.id }, 3);
    await leases.acquire(`${a2.id}:k:3`, { kind: "account", id: a2.id }, 0);
    clock += TTL / 2;
    await leases.acquire(`${a1.id}:k:4`, { kind: "account", id: a1.id }, 3);
    clock += TTL / 2 + 1;

    const registry = createMetricsRegistry("account-metrics-test");
    createAccountMetrics({ registry, listAccounts: async () => [a1, a2], leases, health, now });
    const active = await samples(registry, "control_plane_account_active_leases");
    expect(valueOf(active, { account: a1.id })).toBe(1);
    expect(valueOf(active, { account: a2.id })).toBe(0);
    const limits = await samples(registry, "control_plane_account_max_concurrent_tasks");
    expect(valueOf(limits, { account: a1.id })).toBe(3);
    expect(valueOf(limits, { account: a2.id })).toBe(0);
  });

  it("marks each account's current health state 1 and the others 0, a block past its time reading healthy", async () => {
    const limited = await account(1);
    const lapsed = await account(1);
    const fresh = await account(1);
    const banned = await account(1);
    await health.apply(limited.id, { kind: "block", status: "rate_limited", reason: "upstream answered 429", untilMs: clock + 60_000 });
    await health.apply(banned.id, { kind: "block", status: "unauthorized", reason: "upstream answered 401", untilMs: 0 });
    await health.apply(banned.id, { kind: "block", status: "banned", reason: "upstream answered 403: deactivated_workspace", untilMs: 0 });
    await health.apply(lapsed.id, { kind: "block", status: "overloaded", reason: "upstream answered 529", untilMs: clock + 1_000 });
    clock += 2_000;

    const registry = createMetricsRegistry("account-metrics-test");
    createAccountMetrics({ registry, listAccounts: async () => [limited, lapsed, fresh, banned], leases, health, now });
    const states = await samples(registry, "control_plane_account_health");
    expect(states).toHaveLength(4 * HEALTH_STATES.length);
    const current = (id: string) => states.filter((s) => s.labels.account === id && s.value === 1).map((s) => s.labels.state);
    expect(current(limited.id)).toEqual(["rate_limited"]);
    expect(current(lapsed.id)).toEqual(["healthy"]);
    expect(current(fresh.id)).toEqual(["healthy"]);
    // Banned is its own state, apart from unauthorized.
    expect(current(banned.id)).toEqual(["banned"]);
  });

  it("drops the series of an account that left the list, and reads Redis once for all three gauges", async () => {
    const stays = await account(2);
    const goes = await account(2);
    let list = [stays, goes];
    const batches = new Histogram({ name: "test_batches_seconds", help: "test", labelNames: ["operation"], registers: [] });
    const timed = createLeaseStore({ redis, keys, ttlMs: TTL, now, timer: (labels) => batches.startTimer(labels) });
    const registry = createMetricsRegistry("account-metrics-test");
    createAccountMetrics({ registry, listAccounts: async () => list, leases: timed, health, now });

    expect(valueOf(await samples(registry, "control_plane_account_active_leases"), { account: goes.id })).toBe(0);
    list = [stays];
    clock += 5_000;
    const active = await samples(registry, "control_plane_account_active_leases");
    expect(active.map((s) => s.labels.account)).toEqual([stays.id]);
    // One count batch per scrape (getMetricsAsJSON collects every gauge), two scrapes.
    const counts = (await batches.get()).values.find((v) => v.metricName === "test_batches_seconds_count" && v.labels.operation === "count");
    expect(counts?.value).toBe(2);
  });

  it("leaves the gauges empty instead of failing the scrape when the reads fail", async () => {
    const registry = createMetricsRegistry("account-metrics-test");
    createAccountMetrics({ registry, listAccounts: () => Promise.reject(new Error("redis down")), leases, health, now });
    await expect(registry.metrics()).resolves.toContain("# TYPE control_plane_account_health gauge");
    expect(await samples(registry, "control_plane_account_health")).toEqual([]);
  });

  it("labels each account's series with its platform", async () => {
    const claude = await account(2);
    const gemini = { ...(await account(4)), type: "gemini-api" as const };
    const registry = createMetricsRegistry("account-metrics-test");
    createAccountMetrics({ registry, listAccounts: async () => [claude, gemini], leases, health, now });
    const limits = await samples(registry, "control_plane_account_max_concurrent_tasks");
    expect(valueOf(limits, { account: gemini.id, platform: "gemini" })).toBe(4);
    expect(valueOf(limits, { account: claude.id, platform: "claude" })).toBe(2);
    const states = await samples(registry, "control_plane_account_health");
    expect(new Set(states.map((s) => s.labels.platform))).toEqual(new Set(["claude", "gemini"]));
  });
});

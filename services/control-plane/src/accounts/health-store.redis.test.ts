import { randomBytes, randomUUID } from "node:crypto";
import { AccountSignal, OutcomeKind } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis } from "../redis/client.js";
import { createRedisKeys } from "../redis/keys.js";
import { recordWrites } from "../redis/record-writes.test-helper.js";
import {
  applyHealthEvent,
  DEFAULT_HEALTH_CONFIG as CONFIG,
  HEALTHY,
  healthEventFor,
  type HealthEvent,
  type HealthOutcome,
  type HealthState,
} from "./account-health.js";
import { createHealthStore, type HealthChange, type HealthStore } from "./health-store.js";

const TTL = 30_000;
const keys = createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` });
let server: TestRedis;
let redis: Redis;
let store: HealthStore;
let clock = 1_900_000_000_000;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
  store = createHealthStore({ redis, keys, now: () => clock, probeTtlMs: TTL });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

async function account(): Promise<string> {
  const id = randomUUID();
  await redis.hset(keys.account(id), { type: "claude-console", name: id });
  return id;
}

/** One step of a scenario: advance the clock, then apply the event (as the probe's lease when `probe`). */
interface Step {
  afterMs: number;
  event: HealthEvent;
  probe?: boolean;
}

const fail: HealthEvent = { kind: "failure", reason: "upstream answered 500" };
const ok: HealthEvent = { kind: "success" };
const SCENARIOS: Record<string, Step[]> = {
  "breaker opens, a probe fails, another probe succeeds": [
    { afterMs: 0, event: fail },
    { afterMs: 1_000, event: fail },
    { afterMs: 1_000, event: ok },
    { afterMs: 1_000, event: fail },
    { afterMs: 10_000, event: fail },
    { afterMs: 10_000, event: ok },
    { afterMs: CONFIG.breakerOpenMs, event: fail, probe: true },
    { afterMs: CONFIG.breakerOpenMs, event: ok, probe: true },
  ],
  "failures spread wider than the window never open it": [
    { afterMs: 0, event: fail },
    { afterMs: CONFIG.breakerWindowMs / 2 + 1, event: fail },
    { afterMs: CONFIG.breakerWindowMs / 2 + 1, event: fail },
    { afterMs: CONFIG.breakerWindowMs / 2 + 1, event: fail },
  ],
  "banned replaces unauthorized and outlasts blocks, failures, successes and reauthorized; reset lifts it": [
    { afterMs: 0, event: { kind: "block", status: "unauthorized", reason: "401", untilMs: 0 } },
    { afterMs: 1_000, event: { kind: "block", status: "banned", reason: "upstream answered 403: deactivated_workspace", untilMs: 0 } },
    { afterMs: 1_000, event: { kind: "block", status: "unauthorized", reason: "OAuth refresh failed", untilMs: 0 } },
    { afterMs: 1_000, event: { kind: "block", status: "rate_limited", reason: "429", untilMs: 1_999_000_000_000 } },
    { afterMs: 1_000, event: fail },
    { afterMs: 1_000, event: fail },
    { afterMs: 1_000, event: fail },
    { afterMs: 1_000, event: ok },
    { afterMs: 1_000, event: { kind: "reauthorized" } },
    { afterMs: 1_000, event: { kind: "reset" } },
    { afterMs: 1_000, event: { kind: "block", status: "banned", reason: "banned again", untilMs: 0 } },
  ],
  "blocks stack without shortening, unauthorized wins, reauthorized lifts it": [
    { afterMs: 0, event: { kind: "block", status: "rate_limited", reason: "429", untilMs: 1_900_000_600_000 } },
    { afterMs: 1_000, event: { kind: "block", status: "overloaded", reason: "529", untilMs: 1_900_000_100_000 } },
    { afterMs: 1_000, event: fail },
    { afterMs: 1_000, event: fail },
    { afterMs: 1_000, event: fail },
    { afterMs: 1_000, event: { kind: "block", status: "unauthorized", reason: "401", untilMs: 0 } },
    { afterMs: 1_000, event: { kind: "block", status: "rate_limited", reason: "429", untilMs: 1_999_000_000_000 } },
    { afterMs: 1_000, event: { kind: "reauthorized" } },
    { afterMs: 1_000, event: { kind: "reset" } },
  ],
};

describe("health-event.lua", () => {
  for (const [name, steps] of Object.entries(SCENARIOS)) {
    it(`makes the same transitions as applyHealthEvent: ${name}`, async () => {
      const id = await account();
      let expected: HealthState = { ...HEALTHY, failures: [] };
      for (const [i, step] of steps.entries()) {
        clock += step.afterMs;
        const leaseId = step.probe ? `probe-${i}` : "";
        if (step.probe) expect(await store.claimProbe(id, leaseId)).toBe(true);
        expected = applyHealthEvent(expected, step.event, { nowMs: clock, isProbe: step.probe === true, config: CONFIG });
        const status = await store.apply(id, step.event, leaseId);
        const stored = await store.read(id);
        expect({ step: i, returned: status, ...stored.health, failures: stored.failureCount }).toEqual({
          step: i,
          returned: expected.status,
          status: expected.status,
          reason: expected.reason,
          untilMs: expected.untilMs,
          sinceMs: expected.sinceMs,
          failures: expected.failures.length,
        });
      }
    });
  }
});

describe("health-event.lua with a provider's signals", () => {
  const gemini = (signal: AccountSignal, status: number, over: Partial<HealthOutcome> = {}): HealthOutcome => ({
    kind: OutcomeKind.UPSTREAM_ERROR,
    status,
    headers: {},
    detail: "",
    signal,
    ...over,
  });
  // Each step: time passes, then Release reports this outcome.
  const steps: { afterMs: number; outcome: HealthOutcome }[] = [
    { afterMs: 0, outcome: gemini(AccountSignal.NONE, 400) },
    { afterMs: 1_000, outcome: gemini(AccountSignal.RATE_LIMITED, 429, { headers: { "retry-after": "90" }, detail: "per-minute quota exhausted" }) },
    { afterMs: 1_000, outcome: gemini(AccountSignal.OVERLOADED, 503, { detail: "model overloaded" }) },
    { afterMs: 120_000, outcome: gemini(AccountSignal.SERVER_ERROR, 500) },
    { afterMs: 1_000, outcome: gemini(AccountSignal.SERVER_ERROR, 500) },
    { afterMs: 1_000, outcome: gemini(AccountSignal.SERVER_ERROR, 502, { detail: "bad gateway" }) },
    { afterMs: CONFIG.breakerOpenMs, outcome: gemini(AccountSignal.NONE, 0, { kind: OutcomeKind.SUCCESS, status: 200 }) },
    { afterMs: 1_000, outcome: gemini(AccountSignal.UNAUTHORIZED, 400, { detail: "API key not valid" }) },
    { afterMs: 1_000, outcome: gemini(AccountSignal.RATE_LIMITED, 429) },
    { afterMs: 1_000, outcome: gemini(AccountSignal.BANNED, 403, { detail: "deactivated_workspace" }) },
    { afterMs: 1_000, outcome: gemini(AccountSignal.UNAUTHORIZED, 401) },
  ];

  it("stores what healthEventFor and applyHealthEvent make of each signalled outcome", async () => {
    const id = await account();
    let expected: HealthState = { ...HEALTHY, failures: [] };
    for (const [i, step] of steps.entries()) {
      clock += step.afterMs;
      expected = applyHealthEvent(expected, healthEventFor(step.outcome, clock, CONFIG), { nowMs: clock, isProbe: false, config: CONFIG });
      const returned = await store.recordOutcome(id, `lease-${i}`, step.outcome);
      const stored = await store.read(id);
      expect({ step: i, returned, ...stored.health, failures: stored.failureCount }).toEqual({
        step: i,
        returned: expected.status,
        status: expected.status,
        reason: expected.reason,
        untilMs: expected.untilMs,
        sinceMs: expected.sinceMs,
        failures: expected.failures.length,
      });
    }
    expect(expected).toMatchObject({ status: "banned", reason: "upstream answered 403: deactivated_workspace" });
  });
});

describe("createHealthStore", () => {
  it("stores the windows an outcome reports and keeps them when the next reports none", async () => {
    const id = await account();
    const headers = { "anthropic-ratelimit-unified-status": "allowed", "anthropic-ratelimit-unified-5h-utilization": "0.25" };
    expect(await store.recordOutcome(id, "l1", { kind: OutcomeKind.SUCCESS, status: 200, headers, detail: "" })).toBe("healthy");
    await store.recordOutcome(id, "l2", { kind: OutcomeKind.SUCCESS, status: 200, headers: {}, detail: "" });
    const conditions = await store.conditions([id, await account()]);
    expect(conditions.size).toBe(1);
    expect(conditions.get(id)?.windows).toEqual([
      { name: "unified", status: "allowed", resetMs: 0 },
      { name: "5h", status: "", utilization: 0.25, resetMs: 0 },
    ]);
  });

  it("sends no script for a plain success on an account known healthy, and still records what changes something", async () => {
    const id = await account();
    const success = { kind: OutcomeKind.SUCCESS, status: 200, headers: {}, detail: "" };
    const log = recordWrites(redis);
    expect(await store.recordOutcome(id, "l1", success, true)).toBe("healthy");
    expect(log.batches).toEqual([]);
    // Windows to store, or a failure, go out even when the account was known healthy.
    const headers = { "anthropic-ratelimit-unified-status": "allowed", "anthropic-ratelimit-unified-5h-utilization": "0.5" };
    await store.recordOutcome(id, "l2", { ...success, headers }, true);
    await store.recordOutcome(id, "l3", { kind: OutcomeKind.CONNECTION_FAILURE, status: 0, headers: {}, detail: "" }, true);
    // A script goes as EVAL until Redis holds it, then as EVALSHA.
    const scripts = () => log.batches.flat().map((c) => (c.name.startsWith("eval") ? "script" : c.name));
    expect(scripts()).toEqual(["script", "script"]);
    // Not known healthy: the success goes out as before.
    await store.recordOutcome(id, "l4", success);
    expect(scripts()).toEqual(["script", "script", "script"]);
    expect((await store.read(id)).failureCount).toBe(1);
  });

  it("tells its observer the state before each event, as the script read it, on the Release path too", async () => {
    const changes: HealthChange[] = [];
    const observed = createHealthStore({ redis, keys, now: () => clock, probeTtlMs: TTL, onChange: (change) => changes.push(change) });
    const id = await account();
    for (let i = 0; i < CONFIG.breakerFailures; i++) await observed.recordOutcome(id, `l${i}`, { kind: OutcomeKind.UPSTREAM_ERROR, status: 500, headers: {}, detail: "" });
    const openedUntil = clock + CONFIG.breakerOpenMs;
    clock += CONFIG.breakerOpenMs;
    expect(await observed.claimProbe(id, "probe")).toBe(true);
    await observed.recordOutcome(id, "probe", { kind: OutcomeKind.SUCCESS, status: 200, headers: {}, detail: "" });
    await observed.apply(id, { kind: "reset" });
    expect(changes.map((c) => [c.event.kind, c.previous.status, c.status])).toEqual([
      ["failure", "healthy", "healthy"],
      ["failure", "healthy", "healthy"],
      ["failure", "healthy", "circuit_open"],
      ["success", "circuit_open", "healthy"],
      ["reset", "healthy", "healthy"],
    ]);
    expect(changes[3]?.previous.untilMs).toBe(openedUntil);
  });

  it("writes nothing for an account that does not exist", async () => {
    const ghost = randomUUID();
    expect(await store.recordOutcome(ghost, "l", { kind: OutcomeKind.UPSTREAM_ERROR, status: 529, headers: {}, detail: "" })).toBeUndefined();
    expect(await redis.exists(keys.accountHealth(ghost), keys.accountFailures(ghost))).toBe(0);
  });

  it("grants a half-open account's probe to exactly one of many racing replicas, and again once it ends", async () => {
    const id = await account();
    for (let i = 0; i < CONFIG.breakerFailures; i++) await store.apply(id, fail);
    clock += CONFIG.breakerOpenMs;
    const clients = [createRedis(server.url), createRedis(server.url), createRedis(server.url)];
    try {
      const replicas = clients.map((c) => createHealthStore({ redis: c, keys, now: () => clock, probeTtlMs: TTL }));
      const claims = await Promise.all(Array.from({ length: 30 }, (_, i) => replicas[i % 3]!.claimProbe(id, `lease-${i}`)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await store.conditions([id])).get(id)?.probeInFlight).toBe(true);
      const winner = `lease-${claims.indexOf(true)}`;
      await store.releaseProbe(id, winner);
      expect((await store.conditions([id])).get(id)?.probeInFlight).toBe(false);
      expect(await store.claimProbe(id, "next")).toBe(true);
    } finally {
      for (const c of clients) c.disconnect();
    }
  });

  it("lets a probe claim lapse after the lease TTL when its Release never comes", async () => {
    const id = await account();
    for (let i = 0; i < CONFIG.breakerFailures; i++) await store.apply(id, fail);
    clock += CONFIG.breakerOpenMs;
    expect(await store.claimProbe(id, "crashed")).toBe(true);
    expect(await store.claimProbe(id, "other")).toBe(false);
    clock += TTL;
    expect(await store.claimProbe(id, "other")).toBe(true);
  });
});

import { randomBytes } from "node:crypto";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createSignInThrottle, type SignInAttempt, type SignInThrottle } from "./sign-in-throttle.js";

const WINDOW_MS = 60_000;

let server: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let prefix: string;
let clock: number;
let throttle: SignInThrottle;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

beforeEach(() => {
  prefix = `t-${randomBytes(6).toString("hex")}`;
  keys = createRedisKeys({ prefix });
  clock = 1_700_000_000_000;
  throttle = createSignInThrottle({ redis, keys, maxFailures: 3, windowMs: WINDOW_MS, now: () => clock });
});

/** One failed attempt (begun, never succeeded); fails the test when it was refused. */
async function fail(username: string, address?: string): Promise<void> {
  const attempt = await throttle.begin({ username, address });
  expect(attempt.ok).toBe(true);
}

describe("createSignInThrottle", () => {
  it("lets maxFailures failures through, then refuses with the time until the oldest leaves the window", async () => {
    await fail("admin", "10.0.0.1");
    clock += 10_000;
    await fail("admin", "10.0.0.1");
    await fail("admin", "10.0.0.1");
    const refused = await throttle.begin({ username: "admin", address: "10.0.0.1" });
    expect(refused).toEqual({ ok: false, retryAfterMs: WINDOW_MS - 10_000 });
  });

  it("limits an address across usernames and a username across addresses", async () => {
    for (const username of ["a", "b", "c"]) await fail(username, "10.0.0.1");
    expect((await throttle.begin({ username: "d", address: "10.0.0.1" })).ok).toBe(false);
    expect((await throttle.begin({ username: "d", address: "10.0.0.2" })).ok).toBe(true);

    for (const address of ["10.1.0.1", "10.1.0.2", "10.1.0.3"]) await fail("victim", address);
    expect((await throttle.begin({ username: "victim", address: "10.1.0.4" })).ok).toBe(false);
    expect((await throttle.begin({ username: "victim" })).ok).toBe(false);
  });

  it("does not count a refused attempt, so waiting out the window is enough", async () => {
    for (let i = 0; i < 3; i++) await fail("admin", "10.0.0.1");
    for (let i = 0; i < 5; i++) expect((await throttle.begin({ username: "admin", address: "10.0.0.1" })).ok).toBe(false);
    clock += WINDOW_MS;
    expect((await throttle.begin({ username: "admin", address: "10.0.0.1" })).ok).toBe(true);
  });

  it("does not charge the other subject when one refuses", async () => {
    for (const address of ["10.1.0.1", "10.1.0.2", "10.1.0.3"]) await fail("victim", address);
    for (let i = 0; i < 5; i++) expect((await throttle.begin({ username: "victim", address: "10.9.9.9" })).ok).toBe(false);
    // 10.9.9.9 was never charged, so it still has all its attempts for another user.
    for (let i = 0; i < 3; i++) await fail(`other-${i}`, "10.9.9.9");
  });

  it("clears the subjects' failures on success", async () => {
    await fail("admin", "10.0.0.1");
    await fail("admin", "10.0.0.1");
    const attempt = (await throttle.begin({ username: "admin", address: "10.0.0.1" })) as SignInAttempt;
    await attempt.succeeded();
    for (let i = 0; i < 3; i++) await fail("admin", "10.0.0.1");
    expect((await throttle.begin({ username: "admin", address: "10.0.0.1" })).ok).toBe(false);
  });

  it("never lets more than maxFailures parallel attempts through", async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => throttle.begin({ username: "admin", address: "10.0.0.1" })));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
  });

  it("stores neither the username nor the address, and expires its keys", async () => {
    await fail("p4ssword-typed-as-username", "192.0.2.77");
    const stored = await redis.keys(`${prefix}:*`);
    expect(stored).toHaveLength(2);
    for (const key of stored) {
      expect(key).not.toContain("p4ssword");
      expect(key).not.toContain("192.0.2.77");
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(WINDOW_MS);
    }
  });

  it("refuses limits that are not positive integers", () => {
    expect(() => createSignInThrottle({ redis, keys, maxFailures: 0 })).toThrow(RangeError);
    expect(() => createSignInThrottle({ redis, keys, windowMs: 1.5 })).toThrow(RangeError);
  });
});

describe("blocked", () => {
  it("tells the wait once a subject is at its limit, without reserving an attempt", async () => {
    const subjects = { username: "machine", address: "10.2.0.1" };
    await fail(subjects.username, subjects.address);
    await fail(subjects.username, subjects.address);
    expect(await throttle.blocked(subjects)).toBeUndefined();
    expect(await throttle.blocked(subjects)).toBeUndefined();
    clock += 5_000;
    await fail(subjects.username, subjects.address);
    expect(await throttle.blocked(subjects)).toBe(WINDOW_MS - 5_000);
    clock += WINDOW_MS - 5_000;
    expect(await throttle.blocked(subjects)).toBeUndefined();
  });
});

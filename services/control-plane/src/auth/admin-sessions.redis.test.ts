import { randomBytes } from "node:crypto";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createAdminSessions } from "./admin-sessions.js";

let server: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let prefix: string;
let clock: number;
const now = () => clock;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { lazyConnect: true });
  await redis.connect();
});

afterAll(async () => {
  await redis?.quit();
  await server?.close();
});

beforeEach(() => {
  prefix = `t-${randomBytes(6).toString("hex")}`;
  keys = createRedisKeys({ prefix });
  clock = 1_700_000_000_000;
});

describe("createAdminSessions", () => {
  it("hands out a 32-byte base64url token that verifies to its session", async () => {
    const sessions = createAdminSessions({ redis, keys, ttlMs: 60_000, now });
    const { token, session } = await sessions.create("admin");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    expect(session).toEqual({ username: "admin", createdAtMs: clock, expiresAtMs: clock + 60_000 });
    expect(await sessions.verify(token)).toEqual(session);
  });

  it("stores only the token's hash, with a Redis TTL", async () => {
    const sessions = createAdminSessions({ redis, keys, ttlMs: 60_000, now });
    const { token } = await sessions.create("admin");
    const stored = (await redis.keys(`${prefix}:*`)).sort();
    // The session record and the admin's index of sessions.
    expect(stored).toEqual([expect.stringContaining(":admin:session:"), keys.adminUserSessions("admin")].sort());
    for (const key of stored) {
      expect(key).not.toContain(token);
      const value = (await redis.type(key)) === "string" ? await redis.get(key) : (await redis.zrange(key, 0, -1)).join(",");
      expect(value).not.toContain(token);
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(30_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
  });

  it("ends every other session of the admin on revokeOthers, keeping the given one and other admins'", async () => {
    const sessions = createAdminSessions({ redis, keys, now });
    const [kept, other1, other2, someoneElse] = await Promise.all([
      sessions.create("admin"),
      sessions.create("admin"),
      sessions.create("admin"),
      sessions.create("operator"),
    ]);
    expect(await sessions.revokeOthers("admin", kept!.token)).toBe(2);
    expect(await sessions.verify(kept!.token)).toBeDefined();
    expect(await sessions.verify(other1!.token)).toBeUndefined();
    expect(await sessions.verify(other2!.token)).toBeUndefined();
    expect(await sessions.verify(someoneElse!.token)).toBeDefined();
    expect(await sessions.revokeOthers("admin", kept!.token)).toBe(0);
  });

  it("does not count sessions that already ended when revoking the others", async () => {
    const sessions = createAdminSessions({ redis, keys, now });
    const kept = await sessions.create("admin");
    const loggedOut = await sessions.create("admin");
    await sessions.revoke(loggedOut.token);
    const live = await sessions.create("admin");
    expect(await sessions.revokeOthers("admin", kept.token)).toBe(1);
    expect(await sessions.verify(live.token)).toBeUndefined();
  });

  it("refuses a token once its session has expired on the clock", async () => {
    const sessions = createAdminSessions({ redis, keys, ttlMs: 60_000, now });
    const { token } = await sessions.create("admin");
    clock += 59_999;
    expect(await sessions.verify(token)).toBeDefined();
    clock += 1;
    expect(await sessions.verify(token)).toBeUndefined();
  });

  it("forgets a session when its Redis key expires", async () => {
    const sessions = createAdminSessions({ redis, keys, ttlMs: 50 });
    const { token } = await sessions.create("admin");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await sessions.verify(token)).toBeUndefined();
  });

  it("ends a session on revoke, once", async () => {
    const sessions = createAdminSessions({ redis, keys, now });
    const { token } = await sessions.create("admin");
    expect(await sessions.revoke(token)).toBe(true);
    expect(await sessions.verify(token)).toBeUndefined();
    expect(await sessions.revoke(token)).toBe(false);
  });

  it("refuses malformed and unknown tokens without error", async () => {
    const sessions = createAdminSessions({ redis, keys, now });
    for (const token of ["", "short", "x".repeat(43), `${"a".repeat(42)}!`, "a".repeat(4096)]) {
      expect(await sessions.verify(token)).toBeUndefined();
    }
    expect(await sessions.revoke("nonsense")).toBe(false);
  });

  it("refuses a TTL that is not a positive integer", () => {
    expect(() => createAdminSessions({ redis, keys, ttlMs: 0 })).toThrow(RangeError);
    expect(() => createAdminSessions({ redis, keys, ttlMs: 1.5 })).toThrow(RangeError);
  });
});

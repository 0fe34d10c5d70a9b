import { randomBytes } from "node:crypto";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis } from "../redis/client.js";
import { createRedisKeys } from "../redis/keys.js";
import { createStickyStore } from "./sticky-store.js";

let server: TestRedis;
let redis: Redis;
const keys = createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` });

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

describe("createStickyStore", () => {
  it("binds a session to an account with the configured TTL", async () => {
    const sticky = createStickyStore({ redis, ttlSeconds: 120, keys });
    const session = randomBytes(16).toString("hex");
    expect(await sticky.get(session)).toBeUndefined();
    await sticky.bind(session, "acct-1");
    expect(await sticky.get(session)).toBe("acct-1");
    const ttl = await redis.ttl(keys.sticky(session));
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);
  });

  it("restarts the TTL and moves the binding on a new bind", async () => {
    const sticky = createStickyStore({ redis, ttlSeconds: 3600, keys });
    const session = randomBytes(16).toString("hex");
    await sticky.bind(session, "acct-1");
    await redis.expire(keys.sticky(session), 5);
    await sticky.bind(session, "acct-2");
    expect(await sticky.get(session)).toBe("acct-2");
    expect(await redis.ttl(keys.sticky(session))).toBeGreaterThan(3000);
  });

  it("restarts the TTL of a binding it reads, and creates none for an unbound session", async () => {
    const sticky = createStickyStore({ redis, ttlSeconds: 3600, keys });
    const session = randomBytes(16).toString("hex");
    await sticky.bind(session, "acct-1");
    await redis.expire(keys.sticky(session), 5);
    expect(await sticky.get(session)).toBe("acct-1");
    expect(await redis.ttl(keys.sticky(session))).toBeGreaterThan(3000);
    const unbound = randomBytes(16).toString("hex");
    expect(await sticky.get(unbound)).toBeUndefined();
    expect(await redis.exists(keys.sticky(unbound))).toBe(0);
  });

  it("keeps the session's keys under its hash tag", () => {
    expect(keys.sticky("abc")).toMatch(/\{sess:abc\}/);
  });
});

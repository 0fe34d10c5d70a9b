import { createHash, randomBytes } from "node:crypto";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createServiceTokens, type ServiceTokens } from "./service-tokens.js";

let server: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let clock: number;
let tokens: ServiceTokens;
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
  keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  clock = 1_700_000_000_000;
  tokens = createServiceTokens({ redis, keys, now, lastUseEveryMs: 5_000 });
});

describe("createServiceTokens", () => {
  it("hands out a crst_ token once and stores only its hash", async () => {
    const { token, record } = await tokens.create({ name: "onboarding", scopes: ["keys:write"], createdBy: "admin" });
    expect(token).toMatch(/^crst_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ name: "onboarding", scopes: ["keys:write"], tokenPrefix: token.slice(0, 11), createdBy: "admin", state: "active" });
    const stored = await redis.get(keys.serviceToken(createHash("sha256").update(token).digest("hex")));
    expect(stored).not.toContain(token);
    expect(JSON.parse(stored ?? "{}")).toMatchObject({ id: record.id, name: "onboarding" });
    expect(await tokens.verify(token)).toMatchObject({ id: record.id, scopes: ["keys:write"] });
  });

  it("refuses unknown scopes, no scopes, a past expiry and a taken name", async () => {
    await expect(tokens.create({ name: "x", scopes: ["admin"], createdBy: "a" })).rejects.toThrow(/scopes: unknown admin/);
    await expect(tokens.create({ name: "x", scopes: [], createdBy: "a" })).rejects.toThrow(/scopes: at least one/);
    await expect(tokens.create({ name: "x", scopes: ["read"], expiresAtMs: clock, createdBy: "a" })).rejects.toThrow(/expires_at/);
    await expect(tokens.create({ name: " ", scopes: ["read"], createdBy: "a" })).rejects.toThrow(/name: is required/);
    await tokens.create({ name: "finance", scopes: ["usage:read"], createdBy: "a" });
    await expect(tokens.create({ name: "finance", scopes: ["read"], createdBy: "a" })).rejects.toThrow(/exists/);
  });

  it("stops verifying a token once it expires", async () => {
    const { token } = await tokens.create({ name: "short", scopes: ["read"], expiresAtMs: clock + 1_000, createdBy: "a" });
    expect(await tokens.verify(token)).toBeDefined();
    clock += 1_000;
    expect(await tokens.verify(token)).toBeUndefined();
    expect((await tokens.list())[0]?.state).toBe("expired");
  });

  it("stops verifying a revoked token and keeps it listed as revoked", async () => {
    const { token, record } = await tokens.create({ name: "gone", scopes: ["read"], createdBy: "a" });
    clock += 10;
    expect(await tokens.revoke(record.id)).toMatchObject({ state: "revoked", revokedAtMs: clock });
    expect(await tokens.verify(token)).toBeUndefined();
    expect(await tokens.list()).toMatchObject([{ id: record.id, state: "revoked" }]);
    expect(await tokens.revoke("no-such-id")).toBeUndefined();
  });

  it("refuses a token of the wrong shape or unknown", async () => {
    expect(await tokens.verify("not-a-token")).toBeUndefined();
    expect(await tokens.verify(`crst_${"A".repeat(43)}`)).toBeUndefined();
  });

  it("lists newest first with each token's last use, written at most every few seconds", async () => {
    const first = await tokens.create({ name: "first", scopes: ["read"], createdBy: "a" });
    clock += 1;
    const second = await tokens.create({ name: "second", scopes: ["read"], createdBy: "a" });
    tokens.touch(first.record.id);
    const firstUse = clock;
    clock += 4_999;
    tokens.touch(first.record.id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await tokens.list()).map((t) => [t.name, t.lastUsedAtMs])).toEqual([
      ["second", 0],
      ["first", firstUse],
    ]);
    clock += 1;
    tokens.touch(first.record.id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await tokens.list()).find((t) => t.id === first.record.id)?.lastUsedAtMs).toBe(clock);
    expect(second.record.lastUsedAtMs).toBe(0);
  });
});

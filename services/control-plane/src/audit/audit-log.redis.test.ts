import { randomBytes } from "node:crypto";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createAuditLog, type AuditEventInput } from "./audit-log.js";

let server: TestRedis;
let redis: Redis;
let keys: RedisKeys;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

beforeEach(() => {
  keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
});

function event(n: number, overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    timeMs: 1_700_000_000_000 + n,
    actor: "admin",
    action: "AccountService/UpdateAccount",
    targetId: `acct-${n}`,
    targetName: "",
    sourceAddress: "127.0.0.1",
    outcome: "ok",
    ...overrides,
  };
}

describe("createAuditLog", () => {
  it("lists events newest first with their ids and fields", async () => {
    const audit = createAuditLog({ redis, keys });
    const first = await audit.record(event(1));
    const second = await audit.record(event(2, { actor: "ops", outcome: "invalid_argument", targetName: "primary" }));
    const { events, nextPageToken } = await audit.list();
    expect(events).toEqual([
      { id: second, ...event(2, { actor: "ops", outcome: "invalid_argument", targetName: "primary" }) },
      { id: first, ...event(1) },
    ]);
    expect(nextPageToken).toBe("");
  });

  it("pages by token without repeating or skipping, even while new events arrive", async () => {
    const audit = createAuditLog({ redis, keys });
    for (let n = 1; n <= 7; n++) await audit.record(event(n));
    const page1 = await audit.list({ pageSize: 3 });
    expect(page1.events.map((e) => e.targetId)).toEqual(["acct-7", "acct-6", "acct-5"]);
    await audit.record(event(8));
    const page2 = await audit.list({ pageSize: 3, pageToken: page1.nextPageToken });
    expect(page2.events.map((e) => e.targetId)).toEqual(["acct-4", "acct-3", "acct-2"]);
    const page3 = await audit.list({ pageSize: 3, pageToken: page2.nextPageToken });
    expect(page3.events.map((e) => e.targetId)).toEqual(["acct-1"]);
    expect(page3.nextPageToken).toBe("");
  });

  it("filters by exact actor and by action text in any case, across scan batches", async () => {
    const audit = createAuditLog({ redis, keys });
    await audit.record(event(0, { actor: "ops", action: "ApiKeyService/CreateApiKey" }));
    // More than one scan batch of non-matching events in between.
    await Promise.all(Array.from({ length: 450 }, (_, i) => audit.record(event(i + 1))));
    await audit.record(event(999, { actor: "ops", action: "AccountService/DeleteAccount" }));

    const byActor = await audit.list({ actor: "ops" });
    expect(byActor.events.map((e) => e.action)).toEqual(["AccountService/DeleteAccount", "ApiKeyService/CreateApiKey"]);
    expect((await audit.list({ actor: "OPS" })).events).toEqual([]);

    const byAction = await audit.list({ action: "createapikey" });
    expect(byAction.events.map((e) => e.actor)).toEqual(["ops"]);
    const both = await audit.list({ actor: "admin", action: "ApiKeyService/", pageSize: 5 });
    expect(both.events).toEqual([]);

    const firstOps = await audit.list({ actor: "ops", pageSize: 1 });
    expect(firstOps.events.map((e) => e.action)).toEqual(["AccountService/DeleteAccount"]);
    const secondOps = await audit.list({ actor: "ops", pageSize: 1, pageToken: firstOps.nextPageToken });
    expect(secondOps.events.map((e) => e.action)).toEqual(["ApiKeyService/CreateApiKey"]);
    expect(secondOps.nextPageToken).toBe("");
  });

  it("keeps only the newest maxEvents events", async () => {
    const audit = createAuditLog({ redis, keys, maxEvents: 5 });
    for (let n = 1; n <= 12; n++) await audit.record(event(n));
    expect(await redis.xlen(keys.auditLog())).toBe(5);
    const { events } = await audit.list({ pageSize: 100 });
    expect(events.map((e) => e.targetId)).toEqual(["acct-12", "acct-11", "acct-10", "acct-9", "acct-8"]);
  });

  it("caps the page size at 500 and refuses a negative size or a forged token", async () => {
    const audit = createAuditLog({ redis, keys });
    await Promise.all(Array.from({ length: 520 }, (_, i) => audit.record(event(i))));
    const page = await audit.list({ pageSize: 10_000 });
    expect(page.events).toHaveLength(500);
    expect(page.nextPageToken).not.toBe("");
    expect((await audit.list()).events).toHaveLength(50);
    await expect(audit.list({ pageSize: -1 })).rejects.toMatchObject({ code: "ERR_INVALID_REQUEST" });
    await expect(audit.list({ pageToken: "../etc" })).rejects.toMatchObject({ code: "ERR_INVALID_REQUEST", message: expect.stringContaining("page_token") });
  });
});

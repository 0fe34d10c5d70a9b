import { randomBytes } from "node:crypto";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCredentialCipher } from "../accounts/credential-cipher.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys } from "../redis/keys.js";
import { createNotificationTargetStore, NotificationTargetInputError, type NotificationTargetStore } from "./target-store.js";

const SLACK_URL = "https://hooks.slack.com/services/T000/B000/xoxb-secret-path";
let server: TestRedis;
let redis: Redis;
let store: NotificationTargetStore;
let hashKey: string;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
  const keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  hashKey = keys.notifications("targets");
  store = createNotificationTargetStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)), now: () => 1_000 });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

describe("notification target store", () => {
  it("keeps the URL and the secret sealed at rest and shows only the host", async () => {
    const { record, secret } = await store.create({ name: "signed", url: "https://example.com/hook?token=abc123", format: "generic", events: [], enabled: true });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
    expect(record).toMatchObject({ urlHint: "https://example.com", hasSecret: true });
    const raw = await redis.hget(hashKey, record.id);
    expect(raw).not.toContain("abc123");
    expect(raw).not.toContain(secret);
    const opened = (await store.listOpened()).find((t) => t.record.id === record.id);
    expect(opened?.endpoint).toEqual({ format: "generic", url: "https://example.com/hook?token=abc123", secret });
  });

  it("keeps the stored URL and secret when an update leaves them out, and clears a secret on request", async () => {
    const { record, secret } = await store.create({ name: "ding", url: SLACK_URL, format: "dingtalk", events: ["account.banned"], enabled: true, secret: "SEC1" });
    expect(secret).toBe("");
    expect(record.hasSecret).toBe(true);
    await store.update(record.id, { name: "ding-2", enabled: false, events: [] });
    let opened = (await store.listOpened()).find((t) => t.record.id === record.id);
    expect(opened?.record).toMatchObject({ name: "ding-2", enabled: false, events: [] });
    expect(opened?.endpoint).toMatchObject({ url: SLACK_URL, secret: "SEC1" });
    await store.update(record.id, { secret: "" });
    opened = (await store.listOpened()).find((t) => t.record.id === record.id);
    expect(opened?.endpoint.secret).toBe("");
    expect(opened?.record.hasSecret).toBe(false);
  });

  it.each([
    ["a URL that is not http", { url: "ftp://example.com" }, "url"],
    ["a URL with a password", { url: "https://u:p@example.com" }, "url"],
    ["a taken name", { name: "signed" }, "name"],
    ["a blank name", { name: " " }, "name"],
  ])("refuses %s", async (_what, patch, field) => {
    const error = await store.create({ name: "fresh", url: "https://example.com", format: "slack", events: [], enabled: true, ...patch }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NotificationTargetInputError);
    expect((error as NotificationTargetInputError).field).toBe(field);
  });

  it("deletes a target and its delivery log", async () => {
    const { record } = await store.create({ name: "gone", url: "https://example.com", format: "wecom", events: [], enabled: true });
    expect(await store.delete(record.id)).toBe(true);
    expect(await store.get(record.id)).toBeUndefined();
    expect(await store.delete(record.id)).toBe(false);
  });
});

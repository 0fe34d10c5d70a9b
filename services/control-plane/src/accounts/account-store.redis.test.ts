import { randomBytes } from "node:crypto";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis } from "../redis/client.js";
import { createRedisKeys } from "../redis/keys.js";
import { createAccountStore, type AccountStore } from "./account-store.js";
import { createCredentialCipher } from "./credential-cipher.js";

let server: TestRedis;
let redis: Redis;
let store: AccountStore;
const keys = createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` });
let clock = 1_700_000_000_000;

beforeAll(async () => {
  server = await startRedis();
  redis = createRedis(server.url);
  store = createAccountStore({ redis, cipher: createCredentialCipher(randomBytes(32)), now: () => clock, keys });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

describe("createAccountStore", () => {
  it("creates an account with defaults and reads it back by id and in the list", async () => {
    const created = await store.create({ name: " console ", type: "claude-console", credential: { kind: "api-key", apiKey: "sk-ant-one" } });
    expect(created).toMatchObject({
      name: "console",
      type: "claude-console",
      baseUrl: "https://api.anthropic.com",
      priority: 50,
      maxConcurrentTasks: 0,
      schedulable: true,
      proxyUrl: "",
      createdAtMs: clock,
      lastUsedAtMs: 0,
      tokenExpiresAtMs: 0,
    });
    expect(await store.get(created.id)).toEqual(created);
    expect((await store.list()).map((a) => a.id)).toContain(created.id);
    expect(created).not.toHaveProperty("credential");
  });

  it("keeps credentials and proxy passwords encrypted at rest and opens them through credential()", async () => {
    const created = await store.create({
      name: "oauth",
      type: "claude-oauth",
      proxyUrl: "socks5://user:proxy-pass-42@127.0.0.1:1080",
      credential: { kind: "oauth", accessToken: "sk-ant-oat-access-42", refreshToken: "sk-ant-ort-refresh-42", expiresAtMs: 1_800_000_000_000, scopes: ["user:inference"] },
    });
    const raw = JSON.stringify(await redis.hgetall(keys.account(created.id)));
    expect(raw).not.toContain("sk-ant-oat-access-42");
    expect(raw).not.toContain("sk-ant-ort-refresh-42");
    expect(raw).not.toContain("proxy-pass-42");
    expect(created.proxyUrl).toBe("socks5://user:proxy-pass-42@127.0.0.1:1080");
    expect(created.tokenExpiresAtMs).toBe(1_800_000_000_000);
    expect(await store.credential(created.id)).toEqual({
      kind: "oauth",
      accessToken: "sk-ant-oat-access-42",
      refreshToken: "sk-ant-ort-refresh-42",
      expiresAtMs: 1_800_000_000_000,
      scopes: ["user:inference"],
    });
  });

  it("updates only the fields given, including the credential", async () => {
    const created = await store.create({ name: "a", type: "claude-console", priority: 10, credential: { kind: "api-key", apiKey: "sk-old" } });
    const updated = await store.update(created.id, { priority: 3, schedulable: false, baseUrl: "https://example.test/", credential: { kind: "api-key", apiKey: "sk-new" } });
    expect(updated).toMatchObject({ name: "a", priority: 3, schedulable: false, baseUrl: "https://example.test", maxConcurrentTasks: 0 });
    expect(await store.credential(created.id)).toEqual({ kind: "api-key", apiKey: "sk-new" });
  });

  it("refuses a credential that does not fit the account type", async () => {
    await expect(store.create({ name: "x", type: "claude-oauth", credential: { kind: "api-key", apiKey: "k" } })).rejects.toMatchObject({ code: "ERR_INVALID_ACCOUNT" });
    const created = await store.create({ name: "y", type: "claude-console", credential: { kind: "api-key", apiKey: "k" } });
    await expect(store.update(created.id, { proxyUrl: "ftp://nope" })).rejects.toMatchObject({ code: "ERR_INVALID_ACCOUNT" });
  });

  it("deletes an account, its record and its leases, and forgets it", async () => {
    const created = await store.create({ name: "gone", type: "claude-console", credential: { kind: "api-key", apiKey: "k" } });
    await redis.zadd(keys.accountLeases(created.id), clock + 1000, "lease");
    expect(await store.delete(created.id)).toBe(true);
    expect(await store.get(created.id)).toBeUndefined();
    expect(await store.credential(created.id)).toBeUndefined();
    expect(await redis.exists(keys.account(created.id), keys.accountLeases(created.id))).toBe(0);
    expect((await store.list()).map((a) => a.id)).not.toContain(created.id);
    expect(await store.delete(created.id)).toBe(false);
  });

  it("does not recreate a deleted account on update", async () => {
    const created = await store.create({ name: "race", type: "claude-console", credential: { kind: "api-key", apiKey: "k" } });
    await store.delete(created.id);
    expect(await store.update(created.id, { name: "back" })).toBeUndefined();
    expect(await redis.exists(keys.account(created.id))).toBe(0);
  });

  it("answers undefined for ids that cannot exist", async () => {
    expect(await store.get("no{such}id")).toBeUndefined();
    expect(await store.get("00000000-0000-0000-0000-000000000000")).toBeUndefined();
  });

  it("gives each type its platform's default base URL, and a configured default wins", async () => {
    const oauth = { kind: "oauth" as const, accessToken: "ya29.a", refreshToken: "1//r", expiresAtMs: 0, scopes: [] };
    expect((await store.create({ name: "k", type: "gemini-api", credential: { kind: "api-key", apiKey: "AIza-k" } })).baseUrl).toBe("https://generativelanguage.googleapis.com");
    expect((await store.create({ name: "o", type: "gemini-oauth", credential: oauth })).baseUrl).toBe("https://cloudcode-pa.googleapis.com");
    const configured = createAccountStore({ redis, cipher: createCredentialCipher(randomBytes(32)), keys, defaultBaseUrls: { "gemini-oauth": "http://127.0.0.1:4000" } });
    const created = await configured.create({ name: "o2", type: "gemini-oauth", credential: oauth });
    expect(created.baseUrl).toBe("http://127.0.0.1:4000");
    // An empty base URL on update means the type's default again.
    expect((await configured.update(created.id, { baseUrl: "https://other.example.test" }))?.baseUrl).toBe("https://other.example.test");
    expect((await configured.update(created.id, { baseUrl: "" }))?.baseUrl).toBe("http://127.0.0.1:4000");
  });

  it("stores a project and a token URL, empty unless given", async () => {
    const oauth = { kind: "oauth" as const, accessToken: "ya29.a", refreshToken: "1//r", expiresAtMs: 0, scopes: [] };
    const created = await store.create({ name: "g", type: "gemini-oauth", projectId: " proj-1 ", tokenUrl: "https://t.example.test/token", credential: oauth });
    expect(created).toMatchObject({ projectId: "proj-1", tokenUrl: "https://t.example.test/token" });
    expect(await store.update(created.id, { projectId: "", tokenUrl: "" })).toMatchObject({ projectId: "", tokenUrl: "" });
    expect(await store.create({ name: "c", type: "claude-console", credential: { kind: "api-key", apiKey: "k" } })).toMatchObject({ projectId: "", tokenUrl: "" });
  });

  it("refuses a project or token URL on a type that has none, and a malformed one", async () => {
    const key = { kind: "api-key" as const, apiKey: "AIza-k" };
    const oauth = { kind: "oauth" as const, accessToken: "ya29.a", refreshToken: "", expiresAtMs: 0, scopes: [] };
    await expect(store.create({ name: "x", type: "gemini-api", projectId: "p", credential: key })).rejects.toMatchObject({ code: "ERR_INVALID_ACCOUNT" });
    await expect(store.create({ name: "x", type: "claude-oauth", projectId: "p", credential: oauth })).rejects.toMatchObject({ code: "ERR_INVALID_ACCOUNT" });
    await expect(store.create({ name: "x", type: "gemini-api", tokenUrl: "https://t.example.test", credential: key })).rejects.toMatchObject({ code: "ERR_INVALID_ACCOUNT" });
    await expect(store.create({ name: "x", type: "gemini-oauth", projectId: "a b", credential: oauth })).rejects.toMatchObject({ code: "ERR_INVALID_ACCOUNT" });
    await expect(store.create({ name: "x", type: "gemini-oauth", tokenUrl: "ftp://t", credential: oauth })).rejects.toMatchObject({ code: "ERR_INVALID_ACCOUNT" });
    await expect(store.create({ name: "x", type: "gemini-api", credential: { kind: "api-key", apiKey: "AIza k" } })).rejects.toMatchObject({ code: "ERR_INVALID_ACCOUNT" });
    await expect(store.create({ name: "x", type: "gemini-oauth", credential: key })).rejects.toMatchObject({ code: "ERR_INVALID_ACCOUNT" });
  });
});

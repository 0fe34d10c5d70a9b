import { randomBytes } from "node:crypto";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { AccountService, AccountType } from "@claude-relay/proto/admin";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore, type AccountStore } from "../../accounts/account-store.js";
import { createCredentialCipher } from "../../accounts/credential-cipher.js";
import { createAdminSessions } from "../../auth/admin-sessions.js";
import { createAdminUsers } from "../../auth/admin-users.js";
import { createAdminHttpServer, type AdminHttpServer } from "../../http/server.js";
import { createApiKeyStore } from "../../keys/api-key-store.js";
import { createLeaseStore } from "../../leases/lease-store.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../../redis/keys.js";
import { rpcError, signIn } from "./admin-client.test-helper.js";

const PASSWORD = "account-service-test-password";
const SECRETS = ["sk-ant-api-console-secret-1", "sk-ant-oat-access-secret-2", "sk-ant-ort-refresh-secret-3", "proxy-pass-secret-4", "sk-ant-api-rotated-5"];

let redisServer: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let store: AccountStore;
let http: AdminHttpServer;
let baseUrl: string;
let token: string;
let accounts: Client<typeof AccountService>;

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  const users = createAdminUsers({ redis, keys, scryptParams: { logN: 10, r: 8, p: 1 } });
  await users.createIfAbsent("admin", PASSWORD);
  store = createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)) });
  http = createAdminHttpServer({
    redis,
    users,
    sessions: createAdminSessions({ redis, keys }),
    accounts: store,
    apiKeys: createApiKeyStore({ redis, keys }),
    leases: createLeaseStore({ redis, keys, ttlMs: 30_000 }),
    log: createLogger({ service: "control-plane", level: "silent" }),
    registry: createMetricsRegistry("control-plane"),
  });
  baseUrl = `http://127.0.0.1:${await http.listen(0, "127.0.0.1")}`;
  const signedIn = await signIn(baseUrl, "admin", PASSWORD);
  token = signedIn.token;
  accounts = createClient(AccountService, signedIn.transport);
});

afterAll(async () => {
  await http?.close();
  redis?.disconnect();
  await redisServer?.close();
});


/** A JSON call as curl would send it; returns the status and the raw body. */
async function postJson(method: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${baseUrl}/claude_relay.admin.v1.AccountService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

function consoleAccount(overrides: Record<string, unknown> = {}) {
  return { name: "console", type: AccountType.CLAUDE_CONSOLE, apiKey: "sk-ant-api-console-secret-1", ...overrides };
}

describe("AccountService", () => {
  it("creates a console account with defaults and no credential in the answer", async () => {
    const { account } = await accounts.createAccount(consoleAccount({ maxConcurrentTasks: 3 }));
    expect(account).toMatchObject({
      name: "console",
      type: AccountType.CLAUDE_CONSOLE,
      baseUrl: "https://api.anthropic.com",
      maxConcurrentTasks: 3,
      schedulable: true,
      proxyUrl: "",
      activeLeases: 0,
    });
    expect(account?.id).toMatch(/\S/);
    expect(timestampMs(account!.createdAt!)).toBeGreaterThan(0);
    expect(account?.lastUsedAt).toBeUndefined();
    expect(await store.credential(account!.id)).toEqual({ kind: "api-key", apiKey: "sk-ant-api-console-secret-1" });
  });

  it("creates an OAuth account with its token expiry and a masked proxy password", async () => {
    const expiresAtMs = Date.now() + 3_600_000;
    const { account } = await accounts.createAccount({
      name: "oauth",
      type: AccountType.CLAUDE_OAUTH,
      oauth: { accessToken: "sk-ant-oat-access-secret-2", refreshToken: "sk-ant-ort-refresh-secret-3", expiresAt: timestampFromMs(expiresAtMs), scopes: ["user:inference"] },
      proxyUrl: "socks5://alice:proxy-pass-secret-4@127.0.0.1:1080",
      priority: 7,
      schedulable: false,
    });
    expect(account).toMatchObject({ type: AccountType.CLAUDE_OAUTH, priority: 7, schedulable: false, proxyUrl: "socks5://alice:***@127.0.0.1:1080" });
    expect(timestampMs(account!.tokenExpiresAt!)).toBe(expiresAtMs);
    expect(await store.credential(account!.id)).toMatchObject({ kind: "oauth", accessToken: "sk-ant-oat-access-secret-2", scopes: ["user:inference"] });
  });

  it("gets and lists accounts with the leases they hold right now", async () => {
    const { account } = await accounts.createAccount(consoleAccount({ name: "busy" }));
    const id = account!.id;
    const leases = createLeaseStore({ redis, keys, ttlMs: 60_000 });
    for (const leaseId of ["lease-a", "lease-b"]) {
      expect((await leases.acquire(leaseId, { kind: "account", id }, 0)).status).toBe("granted");
    }
    expect((await accounts.getAccount({ id })).account?.activeLeases).toBe(2);
    const listed = (await accounts.listAccounts({})).accounts.find((a) => a.id === id);
    expect(listed?.activeLeases).toBe(2);
  });

  it("updates only the fields that are set and keeps a proxy password sent back masked", async () => {
    const { account } = await accounts.createAccount(consoleAccount({ name: "to-update", priority: 4, proxyUrl: "http://bob:proxy-pass-secret-4@10.0.0.1:3128" }));
    const id = account!.id;
    const { account: updated } = await accounts.updateAccount({ id, name: "renamed", maxConcurrentTasks: 9, proxyUrl: account!.proxyUrl });
    expect(updated).toMatchObject({ name: "renamed", maxConcurrentTasks: 9, priority: 4, proxyUrl: "http://bob:***@10.0.0.1:3128/" });
    expect((await store.get(id))?.proxyUrl).toBe("http://bob:proxy-pass-secret-4@10.0.0.1:3128");

    await accounts.updateAccount({ id, apiKey: "sk-ant-api-rotated-5", proxyUrl: "", schedulable: false });
    expect(await store.credential(id)).toEqual({ kind: "api-key", apiKey: "sk-ant-api-rotated-5" });
    expect(await store.get(id)).toMatchObject({ proxyUrl: "", schedulable: false, name: "renamed" });
  });

  it("deletes an account, after which it is gone", async () => {
    const { account } = await accounts.createAccount(consoleAccount({ name: "doomed" }));
    await accounts.deleteAccount({ id: account!.id });
    expect((await rpcError(accounts.getAccount({ id: account!.id }))).code).toBe(Code.NotFound);
    expect((await accounts.listAccounts({})).accounts.map((a) => a.id)).not.toContain(account!.id);
  });

  it("answers NotFound for unknown ids on get, update and delete", async () => {
    const id = "00000000-0000-4000-8000-000000000000";
    for (const call of [accounts.getAccount({ id }), accounts.updateAccount({ id, name: "x" }), accounts.deleteAccount({ id })]) {
      const error = await rpcError(call);
      expect(error.code).toBe(Code.NotFound);
      expect(error.rawMessage).toContain(id);
    }
  });

  it("never returns a credential or proxy password from any method", async () => {
    const created = await postJson("CreateAccount", {
      name: "leaky?",
      type: "ACCOUNT_TYPE_CLAUDE_OAUTH",
      oauth: { accessToken: "sk-ant-oat-access-secret-2", refreshToken: "sk-ant-ort-refresh-secret-3" },
      proxyUrl: "https://carol:proxy-pass-secret-4@proxy.example:8443",
    });
    expect(created.status).toBe(200);
    const id = (JSON.parse(created.text) as { account: { id: string } }).account.id;
    const answers = [
      created,
      await postJson("GetAccount", { id }),
      await postJson("ListAccounts", {}),
      await postJson("UpdateAccount", { id, oauth: { accessToken: "sk-ant-oat-access-secret-2" } }),
    ];
    for (const { status, text } of answers) {
      expect(status).toBe(200);
      for (const secret of SECRETS) expect(text).not.toContain(secret);
    }
    expect(answers[1]?.text).toContain("carol:***@proxy.example");
  });
});

describe("AccountService validation", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["an empty name", consoleAccount({ name: "  " }), /^name: must not be empty/],
    ["a missing type", consoleAccount({ type: AccountType.UNSPECIFIED }), /^type: must be ACCOUNT_TYPE_CLAUDE_CONSOLE, ACCOUNT_TYPE_CLAUDE_OAUTH, ACCOUNT_TYPE_GEMINI_API, ACCOUNT_TYPE_GEMINI_OAUTH, ACCOUNT_TYPE_OPENAI_API or ACCOUNT_TYPE_OPENAI_OAUTH/],
    ["a console account without api_key", consoleAccount({ apiKey: "" }), /^api_key: is required for claude-console accounts/],
    ["an OAuth account without access_token", { name: "o", type: AccountType.CLAUDE_OAUTH, oauth: { refreshToken: "r" } }, /^oauth.access_token: is required/],
    ["an OAuth account with an api_key", { name: "o", type: AccountType.CLAUDE_OAUTH, apiKey: "k", oauth: { accessToken: "a" } }, /^api_key: is only for claude-console, gemini-api and openai-api accounts; claude-oauth accounts take oauth/],
    ["a base_url that is not a URL", consoleAccount({ baseUrl: "api.example" }), /^base_url: is not a valid URL/],
    ["a proxy_url of an unsupported scheme", consoleAccount({ proxyUrl: "ftp://proxy:21" }), /^proxy_url: must use socks5, socks5h, http, https/],
    ["a negative max_concurrent_tasks", consoleAccount({ maxConcurrentTasks: -1 }), /^max_concurrent_tasks: must be a non-negative integer/],
    ["a negative priority", consoleAccount({ priority: -5 }), /^priority: must be a non-negative integer/],
  ];

  for (const [what, request, message] of cases) {
    it(`refuses ${what} with InvalidArgument naming the field`, async () => {
      const error = await rpcError(accounts.createAccount(request));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(message);
    });
  }

  it("refuses a fractional max_concurrent_tasks sent as JSON with a message naming the field", async () => {
    const { status, text } = await postJson("CreateAccount", { name: "frac", type: "ACCOUNT_TYPE_CLAUDE_CONSOLE", apiKey: "k", maxConcurrentTasks: 1.5 });
    expect(status).toBe(400);
    const body = JSON.parse(text) as { code: string; message: string };
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toContain("max_concurrent_tasks");
    expect(body.message).toContain("1.5");
  });

  it("refuses invalid updates naming the field, and credentials of the other account type", async () => {
    const { account } = await accounts.createAccount(consoleAccount({ name: "update-checks" }));
    const id = account!.id;
    const checks: [Record<string, unknown>, RegExp][] = [
      [{ name: "" }, /^name: must not be empty/],
      [{ maxConcurrentTasks: -2 }, /^max_concurrent_tasks: must be a non-negative integer/],
      [{ priority: -1 }, /^priority: must be a non-negative integer/],
      [{ baseUrl: "" }, /^base_url: is not a valid URL/],
      [{ proxyUrl: "socks4://p:1" }, /^proxy_url: must use/],
      [{ apiKey: " " }, /^api_key: must not be empty/],
      [{ oauth: { accessToken: "a" } }, /^oauth: is only for claude-oauth, gemini-oauth and openai-oauth accounts; claude-console accounts take api_key/],
    ];
    for (const [patch, message] of checks) {
      const error = await rpcError(accounts.updateAccount({ id, ...patch }));
      expect(error.code, JSON.stringify(patch)).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(message);
    }
    expect((await accounts.getAccount({ id })).account?.name).toBe("update-checks");
  });

  it("refuses an empty id with InvalidArgument", async () => {
    const error = await rpcError(accounts.getAccount({ id: "" }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("id: must not be empty");
  });
});

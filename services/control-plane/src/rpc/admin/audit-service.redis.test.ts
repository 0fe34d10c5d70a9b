import { randomBytes } from "node:crypto";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { AccountService, AccountType, ApiKeyService, AuditService, AuthService } from "@claude-relay/proto/admin";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccountStore } from "../../accounts/account-store.js";
import { createCredentialCipher } from "../../accounts/credential-cipher.js";
import { createAuditLog } from "../../audit/audit-log.js";
import { createAdminSessions } from "../../auth/admin-sessions.js";
import { createAdminUsers } from "../../auth/admin-users.js";
import { createAdminHttpServer, type AdminHttpServer } from "../../http/server.js";
import { createApiKeyStore } from "../../keys/api-key-store.js";
import { createLeaseStore } from "../../leases/lease-store.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../../redis/keys.js";
import { rpcError } from "./admin-client.test-helper.js";

const PASSWORD = "audit-service-test-password";
const UPSTREAM_KEY = "sk-ant-upstream-never-logged-0001";
const CLOCK = 1_750_000_000_000;

let redisServer: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let http: AdminHttpServer;
let baseUrl: string;

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
});

afterAll(async () => {
  redis?.disconnect();
  await redisServer?.close();
});

beforeEach(async () => {
  // A fresh namespace and server per test, so each starts with an empty log.
  keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  const users = createAdminUsers({ redis, keys, scryptParams: { logN: 10, r: 8, p: 1 } });
  await users.createIfAbsent("admin", PASSWORD);
  await users.createIfAbsent("operator", PASSWORD);
  http = createAdminHttpServer({
    redis,
    users,
    sessions: createAdminSessions({ redis, keys }),
    audit: createAuditLog({ redis, keys }),
    accounts: createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)) }),
    apiKeys: createApiKeyStore({ redis, keys }),
    leases: createLeaseStore({ redis, keys, ttlMs: 30_000 }),
    log: createLogger({ service: "control-plane", level: "silent" }),
    registry: createMetricsRegistry("control-plane"),
    now: () => CLOCK,
  });
  baseUrl = `http://127.0.0.1:${await http.listen(0, "127.0.0.1")}`;
  return () => http.close();
});

function transport(token?: string) {
  const bearer: Interceptor = (next) => (req) => {
    if (token !== undefined) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer] });
}

async function signIn(username = "admin") {
  const { token } = await createClient(AuthService, transport()).login({ username, password: PASSWORD });
  const t = transport(token);
  return {
    token,
    auth: createClient(AuthService, t),
    accounts: createClient(AccountService, t),
    apiKeys: createClient(ApiKeyService, t),
    audit: createClient(AuditService, t),
  };
}

/** Everything stored for the audit log, as raw text. */
async function rawLog(): Promise<string> {
  return JSON.stringify(await redis.xrange(keys.auditLog(), "-", "+"));
}


describe("the audit log", () => {
  it("records a write with its admin, action, target, time, address and outcome, and no secret", async () => {
    const admin = await signIn();
    const { account } = await admin.accounts.createAccount({ name: "primary", type: AccountType.CLAUDE_CONSOLE, apiKey: UPSTREAM_KEY });
    const { apiKey, plaintextKey } = await admin.apiKeys.createApiKey({ name: "ci" });

    const { events } = await admin.audit.listAuditEvents({ action: "Create" });
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ actor: "admin", action: "ApiKeyService/CreateApiKey", targetId: apiKey?.id, targetName: "ci", outcome: "ok" });
    expect(events[1]).toMatchObject({
      actor: "admin",
      action: "AccountService/CreateAccount",
      targetId: account?.id,
      targetName: "primary",
      sourceAddress: "127.0.0.1",
      outcome: "ok",
    });
    expect(timestampMs(events[1]!.time!)).toBe(CLOCK);

    const raw = await rawLog();
    for (const secret of [UPSTREAM_KEY, plaintextKey, PASSWORD, admin.token]) expect(raw).not.toContain(secret);
  });

  it("does not record reads", async () => {
    const admin = await signIn();
    await admin.accounts.createAccount({ name: "primary", type: AccountType.CLAUDE_CONSOLE, apiKey: UPSTREAM_KEY });
    const before = await admin.audit.listAuditEvents({});
    const { accounts } = await admin.accounts.listAccounts({});
    await admin.accounts.getAccount({ id: accounts[0]!.id });
    await admin.apiKeys.listApiKeys({});
    await admin.audit.listAuditEvents({});
    const after = await admin.audit.listAuditEvents({});
    expect(after.events.map((e) => e.id)).toEqual(before.events.map((e) => e.id));
    expect(after.events.map((e) => e.action)).toEqual(["AccountService/CreateAccount", "AuthService/Login"]);
  });

  it("records sign-ins and sign-outs, but not failed sign-ins nor calls without a session", async () => {
    await rpcError(createClient(AuthService, transport()).login({ username: "admin", password: "wrong-password" }));
    await rpcError(createClient(AccountService, transport()).deleteAccount({ id: "acct-x" }));
    const operator = await signIn("operator");
    await operator.auth.logout({});
    const admin = await signIn();
    const { events } = await admin.audit.listAuditEvents({});
    expect(events.map((e) => [e.actor, e.action, e.outcome])).toEqual([
      ["admin", "AuthService/Login", "ok"],
      ["operator", "AuthService/Logout", "ok"],
      ["operator", "AuthService/Login", "ok"],
    ]);
    expect(await rawLog()).not.toContain("wrong-password");
  });

  it("records a refused write with the code the caller got", async () => {
    const admin = await signIn();
    await rpcError(admin.accounts.createAccount({ name: "bad", type: AccountType.CLAUDE_CONSOLE, apiKey: UPSTREAM_KEY, baseUrl: "not-a-url" }));
    await rpcError(admin.auth.changePassword({ currentPassword: "not-the-password", newPassword: "a-brand-new-password" }));
    const { events } = await admin.audit.listAuditEvents({ actor: "admin", pageSize: 2 });
    expect(events.map((e) => [e.action, e.outcome, e.targetName])).toEqual([
      ["AuthService/ChangePassword", "permission_denied", ""],
      ["AccountService/CreateAccount", "invalid_argument", "bad"],
    ]);
    const raw = await rawLog();
    for (const secret of ["not-the-password", "a-brand-new-password", UPSTREAM_KEY]) expect(raw).not.toContain(secret);
  });

  it("pages newest first and filters by admin and action", async () => {
    const admin = await signIn();
    const operator = await signIn("operator");
    for (let i = 0; i < 5; i++) await admin.apiKeys.createApiKey({ name: `key-${i}` });
    await operator.apiKeys.createApiKey({ name: "operator-key" });

    const page1 = await admin.audit.listAuditEvents({ action: "createapikey", pageSize: 4 });
    expect(page1.events.map((e) => e.targetName)).toEqual(["operator-key", "key-4", "key-3", "key-2"]);
    const page2 = await admin.audit.listAuditEvents({ action: "createapikey", pageSize: 4, pageToken: page1.nextPageToken });
    expect(page2.events.map((e) => e.targetName)).toEqual(["key-1", "key-0"]);
    expect(page2.nextPageToken).toBe("");

    const byOperator = await admin.audit.listAuditEvents({ actor: "operator" });
    expect(byOperator.events.map((e) => e.action)).toEqual(["ApiKeyService/CreateApiKey", "AuthService/Login"]);
  });

  it("refuses a forged page token and a negative page size with InvalidArgument", async () => {
    const admin = await signIn();
    const forged = await rpcError(admin.audit.listAuditEvents({ pageToken: "not-a-token" }));
    expect(forged.code).toBe(Code.InvalidArgument);
    expect(forged.rawMessage).toMatch(/^page_token:/);
    expect((await rpcError(admin.audit.listAuditEvents({ pageSize: -5 }))).code).toBe(Code.InvalidArgument);
  });

  it("is readable only with a session", async () => {
    const error = await rpcError(createClient(AuditService, transport()).listAuditEvents({}));
    expect(error.code).toBe(Code.Unauthenticated);
  });
});

describe("the audit interceptor when the log cannot be written", () => {
  it("lets the write succeed and logs the failure", async () => {
    const lines: string[] = [];
    const failing = createAdminHttpServer({
      redis,
      users: createAdminUsers({ redis, keys, scryptParams: { logN: 10, r: 8, p: 1 } }),
      sessions: createAdminSessions({ redis, keys }),
      audit: { record: () => Promise.reject(new Error("stream is gone")), list: () => Promise.resolve({ events: [], nextPageToken: "" }) },
      accounts: createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)) }),
      apiKeys: createApiKeyStore({ redis, keys }),
      leases: createLeaseStore({ redis, keys, ttlMs: 30_000 }),
      log: createLogger({ service: "control-plane", level: "error", destination: { write: (line: string) => void lines.push(line) } }),
      registry: createMetricsRegistry("control-plane"),
    });
    try {
      const port = await failing.listen(0, "127.0.0.1");
      const t = createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: "1.1" });
      const { token } = await createClient(AuthService, t).login({ username: "admin", password: PASSWORD });
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(lines.join("")).toContain("audit event not recorded");
    } finally {
      await failing.close();
    }
  });
});

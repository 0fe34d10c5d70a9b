import { randomBytes } from "node:crypto";
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { AccountService, AuthService, SignInThrottledSchema } from "@claude-relay/proto/admin";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore } from "../../accounts/account-store.js";
import { createCredentialCipher } from "../../accounts/credential-cipher.js";
import { createAdminSessions } from "../../auth/admin-sessions.js";
import { createAdminUsers } from "../../auth/admin-users.js";
import { createSignInThrottle } from "../../auth/sign-in-throttle.js";
import { createAdminHttpServer, type AdminHttpServer } from "../../http/server.js";
import { createApiKeyStore } from "../../keys/api-key-store.js";
import { createLeaseStore } from "../../leases/lease-store.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys } from "../../redis/keys.js";
import { rpcError } from "./admin-client.test-helper.js";

const PASSWORD = "auth-service-test-password";
const MAX_FAILURES = 3;
const WINDOW_MS = 10 * 60_000;

let redisServer: TestRedis;
let redis: Redis;
let clock = Date.now();
const servers: AdminHttpServer[] = [];

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

afterAll(async () => {
  redis?.disconnect();
  await redisServer?.close();
});

/** A fresh admin API (own key namespace, so its limits start clean) with "admin" and "operator" users. */
async function startAdmin(options: { trustProxy?: boolean } = {}) {
  const keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  const users = createAdminUsers({ redis, keys, scryptParams: { logN: 10, r: 8, p: 1 } });
  await users.createIfAbsent("admin", PASSWORD);
  await users.createIfAbsent("operator", PASSWORD);
  const http = createAdminHttpServer({
    redis,
    users,
    sessions: createAdminSessions({ redis, keys, now: () => clock }),
    signInThrottle: createSignInThrottle({ redis, keys, maxFailures: MAX_FAILURES, windowMs: WINDOW_MS, now: () => clock }),
    accounts: createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)) }),
    apiKeys: createApiKeyStore({ redis, keys }),
    leases: createLeaseStore({ redis, keys, ttlMs: 30_000 }),
    log: createLogger({ service: "control-plane", level: "silent" }),
    registry: createMetricsRegistry("control-plane"),
    ...(options.trustProxy !== undefined && { trustProxy: options.trustProxy }),
  });
  servers.push(http);
  const baseUrl = `http://127.0.0.1:${await http.listen(0, "127.0.0.1")}`;
  /** Clients sending these headers (a bearer token, X-Forwarded-For). */
  const clients = (headers: Record<string, string> = {}) => {
    const interceptor: Interceptor = (next) => (req) => {
      for (const [name, value] of Object.entries(headers)) req.header.set(name, value);
      return next(req);
    };
    const transport = createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [interceptor] });
    return { auth: createClient(AuthService, transport), accounts: createClient(AccountService, transport) };
  };
  const login = async (username = "admin", password = PASSWORD, headers: Record<string, string> = {}) =>
    (await clients(headers).auth.login({ username, password })).token;
  const as = (token: string) => clients({ authorization: `Bearer ${token}` });
  return { baseUrl, users, clients, login, as };
}


/** `count` failed sign-ins, each answered Unauthenticated. */
async function failLogins(login: (username: string, password: string) => Promise<string>, count: number, username = "admin"): Promise<void> {
  for (let i = 0; i < count; i++) {
    expect((await rpcError(login(username, `wrong-password-${i}`))).code).toBe(Code.Unauthenticated);
  }
}

describe("AuthService.ChangePassword", () => {
  it("changes the password: the new one signs in, the old one no longer does, and the caller stays signed in", async () => {
    const admin = await startAdmin();
    const token = await admin.login();
    const res = await admin.as(token).auth.changePassword({ currentPassword: PASSWORD, newPassword: "a-brand-new-password" });
    expect(res.revokedSessions).toBe(0);
    await expect(admin.login("admin", "a-brand-new-password")).resolves.toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await rpcError(admin.login("admin", PASSWORD))).code).toBe(Code.Unauthenticated);
    await expect(admin.as(token).accounts.listAccounts({})).resolves.toBeDefined();
  });

  it("ends the admin's other sessions, and only those", async () => {
    const admin = await startAdmin();
    const [current, other1, other2, operator] = [await admin.login(), await admin.login(), await admin.login(), await admin.login("operator")];
    const res = await admin.as(current).auth.changePassword({ currentPassword: PASSWORD, newPassword: "another-new-password" });
    expect(res.revokedSessions).toBe(2);
    for (const revoked of [other1, other2]) {
      expect((await rpcError(admin.as(revoked).accounts.listAccounts({}))).code).toBe(Code.Unauthenticated);
    }
    await expect(admin.as(current).accounts.listAccounts({})).resolves.toBeDefined();
    await expect(admin.as(operator).accounts.listAccounts({})).resolves.toBeDefined();
  });

  it("refuses a wrong current password with PermissionDenied and keeps the old password and sessions", async () => {
    const admin = await startAdmin();
    const [current, other] = [await admin.login(), await admin.login()];
    const error = await rpcError(admin.as(current).auth.changePassword({ currentPassword: "not-my-password", newPassword: "a-brand-new-password" }));
    expect(error.code).toBe(Code.PermissionDenied);
    expect(error.rawMessage).toBe("current_password: is wrong");
    await expect(admin.login()).resolves.toBeDefined();
    await expect(admin.as(other).accounts.listAccounts({})).resolves.toBeDefined();
  });

  it("refuses a new password shorter than 12 characters with a field error", async () => {
    const admin = await startAdmin();
    const token = await admin.login();
    const error = await rpcError(admin.as(token).auth.changePassword({ currentPassword: PASSWORD, newPassword: "elevenchars" }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("new_password: must be at least 12 characters");
    await expect(admin.login()).resolves.toBeDefined();
    await expect(admin.as(token).auth.changePassword({ currentPassword: PASSWORD, newPassword: "twelve-chars" })).resolves.toBeDefined();
  });

  it("needs a session", async () => {
    const admin = await startAdmin();
    const error = await rpcError(admin.clients().auth.changePassword({ currentPassword: PASSWORD, newPassword: "a-brand-new-password" }));
    expect(error.code).toBe(Code.Unauthenticated);
  });

  it("counts wrong current passwords as failed sign-ins, so a stolen session cannot guess on", async () => {
    const admin = await startAdmin();
    const token = await admin.login();
    for (let i = 0; i < MAX_FAILURES; i++) {
      const error = await rpcError(admin.as(token).auth.changePassword({ currentPassword: `guess-${i}`, newPassword: "a-brand-new-password" }));
      expect(error.code).toBe(Code.PermissionDenied);
    }
    const throttled = await rpcError(admin.as(token).auth.changePassword({ currentPassword: PASSWORD, newPassword: "a-brand-new-password" }));
    expect(throttled.code).toBe(Code.ResourceExhausted);
    expect((await rpcError(admin.login())).code).toBe(Code.ResourceExhausted);
  });
});

describe("failed sign-in limits", () => {
  it("refuses an address after too many failures, even with the right password, and says when to retry", async () => {
    const admin = await startAdmin();
    // Different usernames: only the address is common to them.
    for (let i = 0; i < MAX_FAILURES; i++) {
      expect((await rpcError(admin.login(`user-${i}`, "wrong-password"))).code).toBe(Code.Unauthenticated);
    }
    const error = await rpcError(admin.login());
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.rawMessage).toBe("too many failed sign-ins; try again in 10 minutes");
    expect(error.findDetails(SignInThrottledSchema)).toEqual([expect.objectContaining({ retryAfterSeconds: WINDOW_MS / 1000 })]);

    // As curl sees it: 429, Retry-After, and the message.
    const res = await fetch(`${admin.baseUrl}/claude_relay.admin.v1.AuthService/Login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: PASSWORD }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe(String(WINDOW_MS / 1000));
    expect(await res.json()).toMatchObject({ code: "resource_exhausted", message: "too many failed sign-ins; try again in 10 minutes" });
  });

  it("ignores X-Forwarded-For unless the proxy in front is trusted", async () => {
    const admin = await startAdmin({ trustProxy: false });
    for (let i = 0; i < MAX_FAILURES; i++) {
      const error = await rpcError(admin.login(`user-${i}`, "wrong-password", { "x-forwarded-for": `198.51.100.${i}` }));
      expect(error.code).toBe(Code.Unauthenticated);
    }
    const error = await rpcError(admin.login("admin", PASSWORD, { "x-forwarded-for": "198.51.100.200" }));
    expect(error.code).toBe(Code.ResourceExhausted);
  });

  it("refuses a username after too many failures from any addresses, and leaves other users alone", async () => {
    const admin = await startAdmin({ trustProxy: true });
    for (let i = 0; i < MAX_FAILURES; i++) {
      const error = await rpcError(admin.login("admin", "wrong-password", { "x-forwarded-for": `198.51.100.${i}` }));
      expect(error.code).toBe(Code.Unauthenticated);
    }
    const error = await rpcError(admin.login("admin", PASSWORD, { "x-forwarded-for": "203.0.113.50" }));
    expect(error.code).toBe(Code.ResourceExhausted);
    await expect(admin.login("operator", PASSWORD, { "x-forwarded-for": "203.0.113.50" })).resolves.toBeDefined();
  });

  it("lets sign-ins through again once the window has passed", async () => {
    const admin = await startAdmin();
    const start = clock;
    try {
      await failLogins(admin.login, MAX_FAILURES);
      clock += WINDOW_MS - 1_000;
      const error = await rpcError(admin.login());
      expect(error.code).toBe(Code.ResourceExhausted);
      expect(error.findDetails(SignInThrottledSchema)[0]?.retryAfterSeconds).toBe(1);
      clock += 1_000;
      await expect(admin.login()).resolves.toBeDefined();
    } finally {
      clock = start;
    }
  });

  it("forgets earlier failures after a successful sign-in", async () => {
    const admin = await startAdmin();
    await failLogins(admin.login, MAX_FAILURES - 1);
    await admin.login();
    await failLogins(admin.login, MAX_FAILURES - 1);
    await expect(admin.login()).resolves.toBeDefined();
  });
});

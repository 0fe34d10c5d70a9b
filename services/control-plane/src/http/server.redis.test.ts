import { randomBytes } from "node:crypto";
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { AccountService, ApiKeyService, AuthService } from "@claude-relay/proto/admin";
import { freePort, startRedis, type TestRedis } from "@claude-relay/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore } from "../accounts/account-store.js";
import { createCredentialCipher } from "../accounts/credential-cipher.js";
import { createAdminSessions } from "../auth/admin-sessions.js";
import { createAdminUsers } from "../auth/admin-users.js";
import { createApiKeyStore } from "../keys/api-key-store.js";
import { createLeaseStore } from "../leases/lease-store.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys } from "../redis/keys.js";
import { createAdminHttpServer, type AdminHttpServer, type AdminHttpServerDeps } from "./server.js";
import { rpcError } from "../rpc/admin/admin-client.test-helper.js";

const PASSWORD = "correct-horse-battery-staple";
const SESSION_TTL_MS = 60_000;

let redisServer: TestRedis;
let redis: Redis;
let deps: AdminHttpServerDeps;
let http: AdminHttpServer;
let baseUrl: string;
let clock = Date.now();

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  const keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  const users = createAdminUsers({ redis, keys, scryptParams: { logN: 10, r: 8, p: 1 } });
  await users.createIfAbsent("admin", PASSWORD);
  deps = {
    redis,
    users,
    sessions: createAdminSessions({ redis, keys, ttlMs: SESSION_TTL_MS, now: () => clock }),
    accounts: createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)) }),
    apiKeys: createApiKeyStore({ redis, keys }),
    leases: createLeaseStore({ redis, keys, ttlMs: 30_000 }),
    log: createLogger({ service: "control-plane", level: "silent" }),
    registry: createMetricsRegistry("control-plane"),
  };
  http = createAdminHttpServer(deps);
  baseUrl = `http://127.0.0.1:${await http.listen(0, "127.0.0.1")}`;
});

afterAll(async () => {
  await http?.close();
  redis?.disconnect();
  await redisServer?.close();
});

function transport(interceptors: Interceptor[] = [], useBinaryFormat = false) {
  return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors, useBinaryFormat });
}

function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

async function login(): Promise<string> {
  return (await createClient(AuthService, transport()).login({ username: "admin", password: PASSWORD })).token;
}


describe("AuthService over HTTP/1.1", () => {
  it("signs in with the right password and returns a token and its expiry", async () => {
    const res = await createClient(AuthService, transport()).login({ username: "admin", password: PASSWORD });
    expect(res.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(timestampMs(res.expiresAt!)).toBe(clock + SESSION_TTL_MS);
  });

  it("answers a wrong password and an unknown user with the same Unauthenticated error", async () => {
    const auth = createClient(AuthService, transport());
    const wrong = await rpcError(auth.login({ username: "admin", password: "nope" }));
    const unknown = await rpcError(auth.login({ username: "mallory", password: PASSWORD }));
    for (const error of [wrong, unknown]) {
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.rawMessage).toBe("invalid username or password");
    }
  });

  it("refuses admin calls without a token, with a malformed or unknown token, and with an expired one", async () => {
    const noToken = await rpcError(createClient(AccountService, transport()).listAccounts({}));
    expect(noToken.code).toBe(Code.Unauthenticated);
    expect(noToken.rawMessage).toMatch(/missing Authorization: Bearer <token>/);

    for (const token of ["garbage", randomBytes(32).toString("base64url")]) {
      const error = await rpcError(createClient(ApiKeyService, transport([bearer(token)])).listApiKeys({}));
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.rawMessage).toMatch(/invalid or expired session token/);
    }

    const token = await login();
    const accounts = createClient(AccountService, transport([bearer(token)]));
    await expect(accounts.listAccounts({})).resolves.toBeDefined();
    clock += SESSION_TTL_MS + 1;
    try {
      const expired = await rpcError(accounts.listAccounts({}));
      expect(expired.code).toBe(Code.Unauthenticated);
      expect(expired.rawMessage).toMatch(/invalid or expired session token/);
    } finally {
      clock -= SESSION_TTL_MS + 1;
    }
  });

  it("ends the session on Logout, so the token stops working", async () => {
    const token = await login();
    const withToken = transport([bearer(token)]);
    await expect(createClient(AccountService, withToken).listAccounts({})).resolves.toBeDefined();
    await createClient(AuthService, withToken).logout({});
    const error = await rpcError(createClient(AccountService, withToken).listAccounts({}));
    expect(error.code).toBe(Code.Unauthenticated);
    expect((await rpcError(createClient(AuthService, withToken).logout({}))).code).toBe(Code.Unauthenticated);
  });

  it("speaks the binary Connect format as well as JSON", async () => {
    const token = await login();
    const res = await createClient(ApiKeyService, transport([bearer(token)], true)).listApiKeys({});
    expect(Array.isArray(res.apiKeys)).toBe(true);
  });
});

describe("the admin API with plain JSON, as curl sends it", () => {
  it("signs in and lists API keys with fetch", async () => {
    const loginRes = await fetch(`${baseUrl}/claude_relay.admin.v1.AuthService/Login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: PASSWORD }),
    });
    expect(loginRes.status).toBe(200);
    const body = (await loginRes.json()) as { token: string; expiresAt: string };
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Date(body.expiresAt).getTime()).toBe(clock + SESSION_TTL_MS);

    const list = await fetch(`${baseUrl}/claude_relay.admin.v1.ApiKeyService/ListApiKeys`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${body.token}` },
      body: "{}",
    });
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual(expect.any(Object));
  });

  it("answers 401 with a Connect error body when the token is missing", async () => {
    const res = await fetch(`${baseUrl}/claude_relay.admin.v1.AccountService/ListAccounts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "unauthenticated", message: expect.stringContaining("Bearer") });
  });

  it("answers a wrong password with 401 and never echoes it", async () => {
    const res = await fetch(`${baseUrl}/claude_relay.admin.v1.AuthService/Login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: "a-wrong-password-123" }),
    });
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).toContain("invalid username or password");
    expect(text).not.toContain("a-wrong-password-123");
  });
});

describe("health, metrics and other routes", () => {
  it("answers /livez with 200 while up", async () => {
    const res = await fetch(`${baseUrl}/livez`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok\n");
  });

  it("answers /readyz with 200 while Redis answers PING", async () => {
    const res = await fetch(`${baseUrl}/readyz`);
    expect(res.status).toBe(200);
  });

  it("answers /readyz with 503 when Redis does not answer", async () => {
    const deadRedis = new Redis({ port: await freePort(), host: "127.0.0.1", lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    deadRedis.on("error", () => {});
    const down = createAdminHttpServer({ ...deps, redis: deadRedis, readyTimeoutMs: 2_000 });
    try {
      const port = await down.listen(0, "127.0.0.1");
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(res.status).toBe(503);
      expect((await fetch(`http://127.0.0.1:${port}/livez`)).status).toBe(200);
    } finally {
      await down.close();
      deadRedis.disconnect();
    }
  });

  it("counts admin calls in the registry but leaves /metrics to the operator port: 404 JSON here", async () => {
    await rpcError(createClient(AccountService, transport()).listAccounts({}));
    const text = await deps.registry.metrics();
    expect(text).toMatch(/control_plane_admin_rpc_total\{method="claude_relay.admin.v1.AccountService\/ListAccounts",code="unauthenticated",service="control-plane"\} [1-9]/);
    for (const method of ["GET", "HEAD"]) {
      const res = await fetch(`${baseUrl}/metrics`, { method });
      expect(res.status, method).toBe(404);
      expect(res.headers.get("content-type")).toContain("application/json");
      if (method === "GET") expect(await res.json()).toEqual({ code: "not_found", message: "no such route" });
    }
  });

  it("says where the admin API is at /", async () => {
    const res = await fetch(`${baseUrl}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("admin API");
  });

  it("answers unknown paths with 404 JSON", async () => {
    for (const [method, path] of [["GET", "/nope"], ["POST", "/claude_relay.admin.v1.NoService/Nope"]] as const) {
      const res = await fetch(`${baseUrl}${path}`, { method, ...(method === "POST" && { headers: { "content-type": "application/json" }, body: "{}" }) });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(await res.json()).toEqual({ code: "not_found", message: "no such route" });
    }
  });
});

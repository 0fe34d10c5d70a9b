/**
 * The account admin API around health and OAuth, over real HTTP on 127.0.0.1
 * with real Redis and a fake OAuth token endpoint: the PKCE URL, the code
 * exchange, ResetAccountHealth, the health fields of Account, groups and
 * model lists, and API key bindings.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { AccountHealth, AccountService, AccountType, ApiKeyService, AuthService } from "@claude-relay/proto/admin";
import { OutcomeKind } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { createProxy } from "proxy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccountStore, type AccountStore } from "../../accounts/account-store.js";
import { createCredentialCipher } from "../../accounts/credential-cipher.js";
import { createHealthStore, type HealthStore } from "../../accounts/health-store.js";
import { createOAuthAuthorization } from "../../accounts/oauth-authorization.js";
import { createOAuthTokenClient } from "../../accounts/oauth-token-client.js";
import { createAdminSessions } from "../../auth/admin-sessions.js";
import { createAdminUsers } from "../../auth/admin-users.js";
import { createAdminHttpServer, type AdminHttpServer } from "../../http/server.js";
import { createApiKeyStore } from "../../keys/api-key-store.js";
import { createLeaseStore } from "../../leases/lease-store.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys } from "../../redis/keys.js";
import { rpcError } from "./admin-client.test-helper.js";

const PASSWORD = "oauth-methods-test-password";
const REDIRECT = "https://console.example.test/oauth/code/callback";
const keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
let redisServer: TestRedis;
let redis: Redis;
let store: AccountStore;
let health: HealthStore;
let http: AdminHttpServer;
let tokenServer: Server;
let calls: Record<string, string>[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };
let accounts: Client<typeof AccountService>;
let apiKeys: Client<typeof ApiKeyService>;

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  tokenServer = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
    req.on("end", () => {
      calls.push(JSON.parse(raw) as Record<string, string>);
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => tokenServer.listen(0, "127.0.0.1", resolve));
  const tokens = createOAuthTokenClient({ tokenUrl: `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/v1/oauth/token`, clientId: "client-1" });
  const users = createAdminUsers({ redis, keys, scryptParams: { logN: 10, r: 8, p: 1 } });
  await users.createIfAbsent("admin", PASSWORD);
  store = createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)) });
  health = createHealthStore({ redis, keys, probeTtlMs: 30_000 });
  http = createAdminHttpServer({
    redis,
    users,
    sessions: createAdminSessions({ redis, keys }),
    accounts: store,
    apiKeys: createApiKeyStore({ redis, keys }),
    leases: createLeaseStore({ redis, keys, ttlMs: 30_000 }),
    health,
    oauthAuthorization: createOAuthAuthorization({
      redis,
      keys,
      flows: {
        "claude-oauth": {
          tokens,
          config: {
            authorizeUrl: "https://claude.example.test/oauth/authorize",
            clientId: "client-1",
            redirectUri: REDIRECT,
            scopes: "org:create_api_key user:profile user:inference",
            extraParams: { code: "true" },
          },
        },
      },
    }),
    log: createLogger({ service: "control-plane", level: "silent" }),
    registry: createMetricsRegistry("control-plane"),
  });
  const baseUrl = `http://127.0.0.1:${await http.listen(0, "127.0.0.1")}`;
  const { token } = await createClient(AuthService, createConnectTransport({ baseUrl, httpVersion: "1.1" })).login({ username: "admin", password: PASSWORD });
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer] });
  accounts = createClient(AccountService, transport);
  apiKeys = createClient(ApiKeyService, transport);
});

beforeEach(() => {
  calls = [];
  answer = { status: 200, body: { access_token: "at-new", refresh_token: "rt-new", expires_in: 28_800, scope: "user:inference user:profile" } };
});

afterAll(async () => {
  await http?.close();
  await new Promise<void>((resolve) => (tokenServer ? tokenServer.close(() => resolve()) : resolve()));
  redis?.disconnect();
  await redisServer?.close();
});


describe("AccountService OAuth", () => {
  it("generates a PKCE S256 authorization URL with a fresh state that expires", async () => {
    const before = Date.now();
    const first = await accounts.generateOAuthUrl({});
    const url = new URL(first.authorizeUrl);
    expect(url.origin + url.pathname).toBe("https://claude.example.test/oauth/authorize");
    expect(url.searchParams.get("client_id")).toBe("client-1");
    expect(url.searchParams.get("redirect_uri")).toBe(REDIRECT);
    expect(url.searchParams.get("scope")).toBe("org:create_api_key user:profile user:inference");
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("state")).toBe(first.state);
    expect(timestampMs(first.expiresAt!)).toBeGreaterThanOrEqual(before + 9 * 60_000);
    expect((await accounts.generateOAuthUrl({})).state).not.toBe(first.state);
  });

  it("exchanges the pasted code#state with the stored verifier and creates the account", async () => {
    const started = await accounts.generateOAuthUrl({});
    const challenge = new URL(started.authorizeUrl).searchParams.get("code_challenge");
    const { account, created } = await accounts.exchangeOAuthCode({ code: `the-code#${started.state}`, name: "max-1", group: "team-a", maxConcurrentTasks: 4 });
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call).toMatchObject({ grant_type: "authorization_code", code: "the-code", state: started.state, redirect_uri: REDIRECT, client_id: "client-1" });
    expect(createHash("sha256").update(call.code_verifier!).digest("base64url")).toBe(challenge);
    expect(created).toBe(true);
    expect(account).toMatchObject({ name: "max-1", type: AccountType.CLAUDE_OAUTH, group: "team-a", maxConcurrentTasks: 4, health: AccountHealth.HEALTHY });
    expect(timestampMs(account!.tokenExpiresAt!)).toBeGreaterThan(Date.now() + 7 * 3_600_000);
    expect(await store.credential(account!.id)).toMatchObject({ kind: "oauth", accessToken: "at-new", refreshToken: "rt-new", scopes: ["user:inference", "user:profile"] });
  });

  it("accepts a state only once, and refuses an unknown one without calling the endpoint", async () => {
    const started = await accounts.generateOAuthUrl({});
    await accounts.exchangeOAuthCode({ code: "c1", state: started.state, name: "once" });
    const again = await rpcError(accounts.exchangeOAuthCode({ code: "c2", state: started.state, name: "twice" }));
    expect(again.code).toBe(Code.FailedPrecondition);
    expect(again.rawMessage).toContain("unknown or expired state");
    expect((await rpcError(accounts.exchangeOAuthCode({ code: "c3", state: "never-issued", name: "x" }))).code).toBe(Code.FailedPrecondition);
    expect(calls).toHaveLength(1);
  });

  it("replaces an existing account's tokens and lifts unauthorized", async () => {
    const existing = await store.create({ name: "old", type: "claude-oauth", credential: { kind: "oauth", accessToken: "at-old", refreshToken: "rt-old", expiresAtMs: 0, scopes: [] } });
    await health.apply(existing.id, { kind: "block", status: "unauthorized", reason: "OAuth refresh failed: token endpoint answered 400: invalid_grant", untilMs: 0 });
    expect((await accounts.getAccount({ id: existing.id })).account).toMatchObject({ health: AccountHealth.UNAUTHORIZED, healthReason: expect.stringContaining("invalid_grant") });
    const started = await accounts.generateOAuthUrl({});
    const { account, created } = await accounts.exchangeOAuthCode({ code: "c", state: started.state, accountId: existing.id });
    expect(created).toBe(false);
    expect(account).toMatchObject({ id: existing.id, name: "old", health: AccountHealth.HEALTHY, healthReason: "" });
    expect(await store.credential(existing.id)).toMatchObject({ accessToken: "at-new", refreshToken: "rt-new" });
  });

  it("names the field on bad input, before the code is spent", async () => {
    const started = await accounts.generateOAuthUrl({});
    const console = await store.create({ name: "console", type: "claude-console", credential: { kind: "api-key", apiKey: "sk-x" } });
    const cases: [Promise<unknown>, string][] = [
      [accounts.exchangeOAuthCode({ code: "", state: started.state, name: "n" }), "code:"],
      [accounts.exchangeOAuthCode({ code: "c", state: "", name: "n" }), "state:"],
      [accounts.exchangeOAuthCode({ code: "c#other", state: started.state, name: "n" }), "state:"],
      [accounts.exchangeOAuthCode({ code: "c", state: started.state }), "name:"],
      [accounts.exchangeOAuthCode({ code: "c", state: started.state, name: "n", group: "no spaces" }), "group:"],
      [accounts.exchangeOAuthCode({ code: "c", state: started.state, accountId: console.id }), "account_id:"],
    ];
    for (const [call, field] of cases) {
      const error = await rpcError(call);
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage.startsWith(field)).toBe(true);
    }
    expect(calls).toHaveLength(0);
    // The state was not consumed by any of the refused calls.
    expect((await accounts.exchangeOAuthCode({ code: "c", state: started.state, name: "n" })).created).toBe(true);
  });

  it("trades the code through the new account's proxy, and keeps the state when the proxy refused the tunnel", async () => {
    const proxy = createProxy(createServer());
    proxy.authenticate = (req) => req.headers["proxy-authorization"] === `Basic ${Buffer.from("proxyuser:proxy-pass-1").toString("base64")}`;
    let tunnels = 0;
    proxy.on("connect", () => tunnels++);
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const proxyUrl = (password: string) => `http://proxyuser:${password}@127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const started = await accounts.generateOAuthUrl({});
      const refused = await rpcError(accounts.exchangeOAuthCode({ code: "c", state: started.state, name: "proxied", proxyUrl: proxyUrl("wrong-pass-9") }));
      expect(refused.code).toBe(Code.FailedPrecondition);
      expect(refused.rawMessage).toBe("code exchange failed: the account's proxy refused the tunnel (HTTP 407)");
      expect(calls).toHaveLength(0);
      // Nothing reached the endpoint, so the same code and state work once the proxy is right.
      const { account, created } = await accounts.exchangeOAuthCode({ code: "c", state: started.state, name: "proxied", proxyUrl: proxyUrl("proxy-pass-1") });
      expect(created).toBe(true);
      expect(calls).toHaveLength(1);
      expect(tunnels).toBe(2);
      expect((await store.get(account!.id))?.proxyUrl).toBe(proxyUrl("proxy-pass-1"));
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it("reports the token endpoint's refusal without a secret", async () => {
    answer = { status: 400, body: { error: "invalid_grant", error_description: "code sk-ant-secret expired" } };
    const started = await accounts.generateOAuthUrl({});
    const error = await rpcError(accounts.exchangeOAuthCode({ code: "c", state: started.state, name: "n" }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe("code exchange failed: token endpoint answered 400: invalid_grant");
  });
});

describe("AccountService health, groups and model lists", () => {
  it("shows the health state, reason, until and windows, and ResetAccountHealth clears them", async () => {
    const account = await store.create({ name: "limited", type: "claude-console", credential: { kind: "api-key", apiKey: "sk-y" } });
    const reset = Math.floor(Date.now() / 1000) + 3_600;
    await health.recordOutcome(account.id, "lease-1", {
      kind: OutcomeKind.UPSTREAM_ERROR,
      status: 429,
      headers: { "anthropic-ratelimit-unified-status": "rejected", "anthropic-ratelimit-unified-reset": String(reset), "anthropic-ratelimit-unified-5h-utilization": "1.0" },
      detail: "",
    });
    const shown = (await accounts.getAccount({ id: account.id })).account!;
    expect(shown).toMatchObject({ health: AccountHealth.RATE_LIMITED, healthReason: "upstream answered 429" });
    expect(timestampMs(shown.healthUntil!)).toBe(reset * 1000);
    expect(shown.windows.map((w) => ({ name: w.name, status: w.status, utilization: w.utilization }))).toEqual([
      { name: "unified", status: "rejected", utilization: undefined },
      { name: "5h", status: "", utilization: 1 },
    ]);
    expect(timestampMs(shown.windows[0]!.resetsAt!)).toBe(reset * 1000);

    const { account: cleared } = await accounts.resetAccountHealth({ id: account.id });
    expect(cleared).toMatchObject({ health: AccountHealth.HEALTHY, healthReason: "" });
    expect(cleared?.healthUntil).toBeUndefined();
    expect(cleared?.windows).toEqual([]);
    expect((await rpcError(accounts.resetAccountHealth({ id: "00000000-0000-4000-8000-000000000000" }))).code).toBe(Code.NotFound);
  });

  it("creates and updates an account's group and model allow-list", async () => {
    const { account } = await accounts.createAccount({ name: "g", type: AccountType.CLAUDE_CONSOLE, apiKey: "sk-z", group: "team-b", allowedModels: ["claude-haiku-*"] });
    expect(account).toMatchObject({ group: "team-b", allowedModels: ["claude-haiku-*"] });
    const { account: updated } = await accounts.updateAccount({ id: account!.id, group: "", allowedModels: { models: ["claude-sonnet-4-5", "claude-opus-*"] } });
    expect(updated).toMatchObject({ group: "", allowedModels: ["claude-sonnet-4-5", "claude-opus-*"] });
    const { account: unchanged } = await accounts.updateAccount({ id: account!.id, name: "renamed" });
    expect(unchanged?.allowedModels).toEqual(["claude-sonnet-4-5", "claude-opus-*"]);
    const bad = await rpcError(accounts.updateAccount({ id: account!.id, allowedModels: { models: [" "] } }));
    expect(bad.rawMessage).toMatch(/^allowed_models\.models\[0\]:/);
  });
});

describe("ApiKeyService bindings", () => {
  it("binds a key to an existing account or to a group, never both", async () => {
    const account = await store.create({ name: "dedicated", type: "claude-console", credential: { kind: "api-key", apiKey: "sk-d" } });
    expect((await apiKeys.createApiKey({ name: "a", boundAccountId: account.id })).apiKey).toMatchObject({ boundAccountId: account.id, boundGroup: "" });
    expect((await apiKeys.createApiKey({ name: "g", boundGroup: "team-a" })).apiKey).toMatchObject({ boundAccountId: "", boundGroup: "team-a" });
    const both = await rpcError(apiKeys.createApiKey({ name: "x", boundAccountId: account.id, boundGroup: "team-a" }));
    expect(both.code).toBe(Code.InvalidArgument);
    expect(both.rawMessage.startsWith("bound_group:")).toBe(true);
    const missing = await rpcError(apiKeys.createApiKey({ name: "x", boundAccountId: "no-such-account" }));
    expect(missing.rawMessage.startsWith("bound_account_id:")).toBe(true);
  });
});

/**
 * ChatGPT sign-ins refreshed by the refresher every replica runs, against the
 * testkit's mock OpenAI token endpoint (refresh tokens that rotate on every
 * use): single-flight across two replicas on one Redis, the rotated refresh
 * token kept, the expiry read from the answer, a refused refresh marking the
 * account unauthorized with OpenAI's code, the account's own token URL, and
 * the call going through the account's proxy.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger } from "@claude-relay/logging";
import { DEFAULT_MOCK_CHATGPT_ACCOUNT, startMockOpenAI, startRedis, type MockOpenAI, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { createProxy } from "proxy";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccountStore, type AccountStore } from "../../accounts/account-store.js";
import { createCredentialCipher } from "../../accounts/credential-cipher.js";
import { createHealthStore, type HealthStore } from "../../accounts/health-store.js";
import { createOAuthRefresher, type OAuthRefresher } from "../../accounts/oauth-refresh.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../../redis/keys.js";
import { buildAccountProviders } from "../registry.js";
import { OPENAI_DEFAULTS } from "./chatgpt-oauth.js";

const log = createLogger({ service: "control-plane", level: "silent" });
const encryptionKey = randomBytes(32);
let redisServer: TestRedis;
let redis: Redis;
let openai: MockOpenAI;
let keys: RedisKeys;
let accounts: AccountStore;
let health: HealthStore;

/** A refresher as one replica builds it: its own connection, stores and providers, pointed at `mock`. */
function replica(client: Redis, mock: MockOpenAI = openai): OAuthRefresher {
  const providers = buildAccountProviders({ openai: { ...OPENAI_DEFAULTS, tokenUrl: mock.tokenUrl, codexUrl: mock.codexBaseUrl, apiUrl: mock.apiBaseUrl } });
  return createOAuthRefresher({
    redis: client,
    keys,
    accounts: createAccountStore({ redis: client, cipher: createCredentialCipher(encryptionKey), keys }),
    health: createHealthStore({ redis: client, keys, probeTtlMs: 30_000 }),
    tokens: providers.tokenClient,
    log,
  });
}

/** An openai-oauth account whose access token has expired, holding the mock account's current refresh token. */
function expiredChatGpt(mock: MockOpenAI = openai, over: { tokenUrl?: string; proxyUrl?: string } = {}) {
  return accounts.create({
    name: "chatgpt",
    type: "openai-oauth",
    chatgptAccountId: DEFAULT_MOCK_CHATGPT_ACCOUNT.accountId,
    ...over,
    credential: { kind: "oauth", accessToken: "eyJ.expired", refreshToken: mock.accounts[0]!.refreshToken, expiresAtMs: Date.now() - 1_000, scopes: [] },
  });
}

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  openai = await startMockOpenAI();
});

beforeEach(() => {
  keys = createRedisKeys({ prefix: `test-${randomBytes(6).toString("hex")}` });
  accounts = createAccountStore({ redis, cipher: createCredentialCipher(encryptionKey), keys });
  health = createHealthStore({ redis, keys, probeTtlMs: 30_000 });
  openai.requests.length = 0;
});

afterAll(async () => {
  redis?.disconnect();
  await openai?.close();
  await redisServer?.close();
});

describe("refreshing openai-oauth tokens", () => {
  it("lets exactly one of two racing replicas call OpenAI's token endpoint; both get the new token, and the rotated refresh token is kept", async () => {
    const account = await expiredChatGpt();
    const presented = openai.accounts[0]!.refreshToken;
    openai.enqueueOn("token", { kind: "ok", delayMs: 300 });
    const clients = [createRedis(redisServer.url), createRedis(redisServer.url)];
    const before = Date.now();
    try {
      const results = await Promise.all(clients.map((client) => replica(client).refresh(account.id)));
      expect(openai.refreshCount(presented)).toBe(1);
      expect(results.filter((r) => r.ok && r.refreshed)).toHaveLength(1);
      const tokens = results.map((r) => (r.ok ? r.credential.accessToken : ""));
      expect(tokens[0]).toMatch(/^eyJ/);
      expect(tokens[1]).toBe(tokens[0]);
    } finally {
      for (const client of clients) client.disconnect();
    }
    const stored = await accounts.credential(account.id);
    // OpenAI rotates the refresh token on every refresh: the new one is the one that works now.
    expect(stored).toMatchObject({ kind: "oauth", refreshToken: openai.accounts[0]!.refreshToken });
    expect(stored?.kind === "oauth" && stored.refreshToken).not.toBe(presented);
    expect(stored?.kind === "oauth" && stored.expiresAtMs).toBeGreaterThan(before + 3_600_000);
    const call = openai.requests.find((r) => r.operation === "token")!;
    expect(call.headers["content-type"]).toBe("application/json");
    expect(call.json).toEqual({ client_id: "app_EMoamEEZ73f0CkXaXp7hrann", grant_type: "refresh_token", refresh_token: presented, scope: "openid profile email" });

    // The new access token is one the Codex backend takes for this account.
    const tested = await fetch(`${openai.codexBaseUrl}/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${stored?.kind === "oauth" ? stored.accessToken : ""}`, "chatgpt-account-id": DEFAULT_MOCK_CHATGPT_ACCOUNT.accountId, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-5", instructions: "x", input: "ping", store: false, stream: true }),
    });
    expect(tested.status).toBe(200);
    await tested.text();
  });

  it("marks the account unauthorized with OpenAI's code when the refresh token was revoked", async () => {
    const revoked = await startMockOpenAI();
    try {
      revoked.revokeRefreshToken(revoked.accounts[0]!.refreshToken);
      const account = await expiredChatGpt(revoked, { tokenUrl: revoked.tokenUrl });
      expect(await replica(redis).refresh(account.id)).toEqual({ ok: false, reason: "token endpoint answered 401: refresh_token_invalidated" });
      expect((await health.read(account.id)).health).toMatchObject({ status: "unauthorized", reason: "OAuth refresh failed: token endpoint answered 401: refresh_token_invalidated" });
    } finally {
      await revoked.close();
    }
  });

  it("refreshes at the account's own token URL when it names one", async () => {
    const own = await startMockOpenAI();
    try {
      const account = await expiredChatGpt(own, { tokenUrl: own.tokenUrl });
      expect(await replica(redis).refresh(account.id)).toMatchObject({ ok: true, refreshed: true });
      expect(own.requests.map((r) => r.operation)).toEqual(["token"]);
      expect(openai.requests).toHaveLength(0);
    } finally {
      await own.close();
    }
  });

  describe("through the account's proxy", () => {
    let httpProxy: Server;
    let tunnels = 0;

    beforeAll(async () => {
      httpProxy = createProxy(createServer());
      (httpProxy as ReturnType<typeof createProxy>).authenticate = (req) =>
        req.headers["proxy-authorization"] === `Basic ${Buffer.from("proxyuser:proxy-pass-1").toString("base64")}`;
      // The mock is plain HTTP, so the proxy forwards the request itself rather than tunnelling it.
      httpProxy.on("connect", () => tunnels++);
      httpProxy.on("request", () => tunnels++);
      await new Promise<void>((resolve) => httpProxy.listen(0, "127.0.0.1", resolve));
    });

    afterAll(async () => {
      httpProxy?.closeAllConnections();
      await new Promise((resolve) => httpProxy?.close(resolve));
    });

    it("refreshes through an HTTP proxy with basic auth, and says so without its password when the proxy refuses", async () => {
      const proxyPort = (httpProxy.address() as AddressInfo).port;
      const before = tunnels;
      const account = await expiredChatGpt(openai, { proxyUrl: `http://proxyuser:proxy-pass-1@127.0.0.1:${proxyPort}` });
      expect(await replica(redis).refresh(account.id)).toMatchObject({ ok: true, refreshed: true });
      expect(tunnels).toBeGreaterThan(before);
      expect(openai.requests.filter((r) => r.operation === "token")).toHaveLength(1);

      const refused = await expiredChatGpt(openai, { proxyUrl: `http://proxyuser:wrong-pass-9@127.0.0.1:${proxyPort}` });
      const result = await replica(redis).refresh(refused.id);
      expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/account's proxy refused the tunnel \(HTTP 407\)/) });
      expect(JSON.stringify(result)).not.toContain("wrong-pass-9");
      expect(openai.requests.filter((r) => r.operation === "token")).toHaveLength(1);
    });
  });
});

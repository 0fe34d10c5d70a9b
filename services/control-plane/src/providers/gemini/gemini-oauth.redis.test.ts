/**
 * Google sign-in for gemini-oauth accounts against the testkit's mock Google
 * token endpoint on 127.0.0.1, with real Redis: the PKCE code exchange
 * (form-encoded, with the client secret, at the redirect the authorization
 * named), and token refresh through the refresher every replica runs —
 * single-flight across two replicas, at the account's own token URL when it
 * names one, failures marking the account, and healing after a refusal.
 */
import { randomBytes } from "node:crypto";
import { createLogger } from "@claude-relay/logging";
import { DEFAULT_MOCK_GOOGLE_ACCOUNT, DEFAULT_MOCK_OAUTH_CLIENT, startMockGemini, startRedis, type MockGemini, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccountStore, type AccountStore } from "../../accounts/account-store.js";
import { createCredentialCipher } from "../../accounts/credential-cipher.js";
import { createHealthStore, type HealthStore } from "../../accounts/health-store.js";
import { createOAuthAuthorization } from "../../accounts/oauth-authorization.js";
import { createOAuthRefresher, type OAuthRefresher } from "../../accounts/oauth-refresh.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../../redis/keys.js";
import type { AccountProviders } from "../account-provider.js";
import { buildAccountProviders } from "../registry.js";
import { GEMINI_DEFAULTS } from "./google-oauth.js";

const log = createLogger({ service: "control-plane", level: "silent" });
const REFRESH_TOKEN = DEFAULT_MOCK_GOOGLE_ACCOUNT.refreshToken;
const encryptionKey = randomBytes(32);
let redisServer: TestRedis;
let redis: Redis;
let google: MockGemini;
let keys: RedisKeys;
let accounts: AccountStore;
let health: HealthStore;

/** The providers as a control plane configured for the mock would build them. */
function providersFor(mock: MockGemini): AccountProviders {
  return buildAccountProviders({
    gemini: {
      ...GEMINI_DEFAULTS,
      tokenUrl: mock.tokenUrl,
      clientId: DEFAULT_MOCK_OAUTH_CLIENT.clientId,
      clientSecret: DEFAULT_MOCK_OAUTH_CLIENT.clientSecret,
      codeAssistUrl: mock.url,
      apiUrl: mock.url,
    },
  });
}

/** A refresher as one replica builds it: its own connection, stores and providers. */
function replica(client: Redis): OAuthRefresher {
  return createOAuthRefresher({
    redis: client,
    keys,
    accounts: createAccountStore({ redis: client, cipher: createCredentialCipher(encryptionKey), keys }),
    health: createHealthStore({ redis: client, keys, probeTtlMs: 30_000 }),
    tokens: providersFor(google).tokenClient,
    log,
  });
}

function geminiAccount(tokenUrl = "") {
  return accounts.create({
    name: "google",
    type: "gemini-oauth",
    projectId: "mock-project-123",
    tokenUrl,
    credential: { kind: "oauth", accessToken: "ya29.expired", refreshToken: REFRESH_TOKEN, expiresAtMs: Date.now() - 1_000, scopes: ["https://www.googleapis.com/auth/cloud-platform"] },
  });
}

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  google = await startMockGemini();
});

beforeEach(() => {
  keys = createRedisKeys({ prefix: `test-${randomBytes(6).toString("hex")}` });
  accounts = createAccountStore({ redis, cipher: createCredentialCipher(encryptionKey), keys });
  health = createHealthStore({ redis, keys, probeTtlMs: 30_000 });
  google.requests.length = 0;
});

afterAll(async () => {
  redis?.disconnect();
  await google?.close();
  await redisServer?.close();
});

describe("the Google code exchange", () => {
  it("trades the pasted code with the PKCE verifier, form-encoded with the client secret, at the redirect it authorized", async () => {
    const authorization = createOAuthAuthorization({ redis, keys, flows: providersFor(google).oauthFlows() });
    const started = await authorization.start("gemini-oauth");
    const url = new URL(started!.url);
    expect(url.origin + url.pathname).toBe("https://accounts.google.com/o/oauth2/v2/auth");
    expect(url.searchParams.get("client_id")).toBe(DEFAULT_MOCK_OAUTH_CLIENT.clientId);
    expect(await authorization.pendingType(started!.state)).toBe("gemini-oauth");
    google.addAuthorizationCode("4/0A-code-1", { refreshToken: REFRESH_TOKEN, redirectUri: GEMINI_DEFAULTS.redirectUri, codeChallenge: url.searchParams.get("code_challenge")! });

    const before = Date.now();
    const result = await authorization.exchange("4/0A-code-1", started!.state);
    expect(result).toMatchObject({ ok: true, tokens: { accessToken: expect.stringMatching(/^ya29\.mock-/), refreshToken: REFRESH_TOKEN } });
    if (result.ok) expect(result.tokens.expiresAtMs).toBeGreaterThanOrEqual(before + 3_500_000);
    const call = google.requests.find((r) => r.operation === "token")!;
    expect(call.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    const form = Object.fromEntries(new URLSearchParams(call.body.toString("utf8")));
    expect(form).toMatchObject({ grant_type: "authorization_code", code: "4/0A-code-1", client_secret: DEFAULT_MOCK_OAUTH_CLIENT.clientSecret, redirect_uri: GEMINI_DEFAULTS.redirectUri });
    // RFC 6749's code grant has no state parameter; only Claude's endpoint wants one.
    expect(form.state).toBeUndefined();
    // The state works once.
    expect(await authorization.pendingType(started!.state)).toBeUndefined();
  });

  it("remembers which type each state was started for", async () => {
    const authorization = createOAuthAuthorization({ redis, keys, flows: providersFor(google).oauthFlows() });
    const claude = await authorization.start();
    expect(new URL(claude!.url).host).toBe("claude.ai");
    expect(await authorization.pendingType(claude!.state)).toBe("claude-oauth");
    expect(await authorization.start("gemini-api")).toBeUndefined();
  });
});

describe("refreshing gemini-oauth tokens", () => {
  it("lets exactly one of two racing replicas call Google's token endpoint, and both get the new token", async () => {
    const account = await geminiAccount();
    google.enqueueOn("token", { kind: "ok", delayMs: 300 });
    const clients = [createRedis(redisServer.url), createRedis(redisServer.url)];
    const refreshesBefore = google.refreshCount(REFRESH_TOKEN);
    try {
      const results = await Promise.all(clients.map((client) => replica(client).refresh(account.id)));
      expect(google.refreshCount(REFRESH_TOKEN)).toBe(refreshesBefore + 1);
      expect(results.filter((r) => r.ok && r.refreshed)).toHaveLength(1);
      const tokens = results.map((r) => (r.ok ? r.credential.accessToken : ""));
      expect(tokens[0]).toMatch(/^ya29\.mock-/);
      expect(tokens[1]).toBe(tokens[0]);
    } finally {
      for (const client of clients) client.disconnect();
    }
    const stored = await accounts.credential(account.id);
    // Google sends no new refresh token on a refresh: the old one is kept, and stays usable.
    expect(stored).toMatchObject({ kind: "oauth", accessToken: expect.stringMatching(/^ya29\.mock-/), refreshToken: REFRESH_TOKEN });
    const form = Object.fromEntries(new URLSearchParams(google.requests.find((r) => r.operation === "token")!.body.toString("utf8")));
    expect(form).toEqual({ grant_type: "refresh_token", refresh_token: REFRESH_TOKEN, client_id: DEFAULT_MOCK_OAUTH_CLIENT.clientId, client_secret: DEFAULT_MOCK_OAUTH_CLIENT.clientSecret });
  });

  it("refreshes at the account's own token URL when it names one", async () => {
    const own = await startMockGemini();
    try {
      const account = await geminiAccount(own.tokenUrl);
      expect(await replica(redis).refresh(account.id)).toMatchObject({ ok: true, refreshed: true });
      expect(own.requests.map((r) => r.operation)).toEqual(["token"]);
      expect(google.requests).toHaveLength(0);
    } finally {
      await own.close();
    }
  });

  it("marks the account unauthorized with Google's error code when the refresh token was revoked", async () => {
    const revoked = await startMockGemini();
    try {
      revoked.revokeRefreshToken(REFRESH_TOKEN);
      const account = await geminiAccount(revoked.tokenUrl);
      expect(await replica(redis).refresh(account.id)).toEqual({ ok: false, reason: "token endpoint answered 400: invalid_grant" });
      expect((await health.read(account.id)).health).toMatchObject({ status: "unauthorized", reason: "OAuth refresh failed: token endpoint answered 400: invalid_grant" });
    } finally {
      await revoked.close();
    }
  });

  it("heals a gemini-oauth account the upstream refused, with a token that was not due", async () => {
    const account = await accounts.create({
      name: "refused",
      type: "gemini-oauth",
      projectId: "mock-project-123",
      credential: { kind: "oauth", accessToken: "ya29.refused", refreshToken: REFRESH_TOKEN, expiresAtMs: Date.now() + 3_600_000, scopes: [] },
    });
    await health.apply(account.id, { kind: "block", status: "unauthorized", reason: "upstream answered 401", untilMs: 0 });
    const refresher = replica(redis);
    refresher.healRefused([account, { id: "key-account", type: "gemini-api" }], await health.conditions([account.id]));
    await refresher.drain();
    expect(google.requests.map((r) => r.operation)).toEqual(["token"]);
    expect((await health.read(account.id)).health.status).toBe("healthy");
    expect(await accounts.credential(account.id)).toMatchObject({ accessToken: expect.stringMatching(/^ya29\.mock-/) });
  });
});

/**
 * The account admin API for OpenAI accounts, over real HTTP on 127.0.0.1 with
 * real Redis and the testkit's mock OpenAI upstream (the OpenAI API, the Codex
 * backend, auth.openai.com's token endpoint): creating openai-api accounts
 * with a key and openai-oauth accounts from tokens or a pasted Codex
 * auth.json, the ChatGPT sign-in through GenerateOAuthUrl and
 * ExchangeOAuthCode, TestAccount's request per type, and the refusals.
 */
import { randomBytes } from "node:crypto";
import { toJsonString } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { AccountSchema, AccountService, AccountType, Platform } from "@claude-relay/proto/admin";
import { DEFAULT_MOCK_CHATGPT_ACCOUNT, DEFAULT_MOCK_OPENAI_API_KEY, startMockOpenAI, startRedis, type MockOpenAI, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAccountStore, type AccountStore } from "../../accounts/account-store.js";
import { createCredentialCipher } from "../../accounts/credential-cipher.js";
import { createHealthStore } from "../../accounts/health-store.js";
import { createOAuthAuthorization } from "../../accounts/oauth-authorization.js";
import { createOAuthRefresher } from "../../accounts/oauth-refresh.js";
import { createAdminSessions } from "../../auth/admin-sessions.js";
import { createAdminUsers } from "../../auth/admin-users.js";
import { createAdminHttpServer, type AdminHttpServer } from "../../http/server.js";
import { createApiKeyStore } from "../../keys/api-key-store.js";
import { createLeaseStore } from "../../leases/lease-store.js";
import { OPENAI_DEFAULTS } from "../../providers/openai/chatgpt-oauth.js";
import { buildAccountProviders } from "../../providers/registry.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys } from "../../redis/keys.js";
import { rpcError, signIn } from "./admin-client.test-helper.js";

const PASSWORD = "openai-accounts-test-password";
const ACCOUNT_ID = DEFAULT_MOCK_CHATGPT_ACCOUNT.accountId;
const log = createLogger({ service: "control-plane", level: "silent" });
const keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
let redisServer: TestRedis;
let redis: Redis;
let store: AccountStore;
let http: AdminHttpServer;
let openai: MockOpenAI;
let accounts: Client<typeof AccountService>;

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  openai = await startMockOpenAI();
  const providers = buildAccountProviders({ openai: { ...OPENAI_DEFAULTS, tokenUrl: openai.tokenUrl, codexUrl: openai.codexBaseUrl, apiUrl: openai.apiBaseUrl } });
  const users = createAdminUsers({ redis, keys, scryptParams: { logN: 10, r: 8, p: 1 } });
  await users.createIfAbsent("admin", PASSWORD);
  store = createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)), defaultBaseUrls: providers.defaultBaseUrls() });
  const health = createHealthStore({ redis, keys, probeTtlMs: 30_000 });
  http = createAdminHttpServer({
    redis,
    users,
    sessions: createAdminSessions({ redis, keys }),
    accounts: store,
    apiKeys: createApiKeyStore({ redis, keys }),
    leases: createLeaseStore({ redis, keys, ttlMs: 30_000 }),
    health,
    providers,
    oauth: createOAuthRefresher({ redis, keys, accounts: store, health, tokens: providers.tokenClient, log }),
    oauthAuthorization: createOAuthAuthorization({ redis, keys, flows: providers.oauthFlows() }),
    log,
    registry: createMetricsRegistry("control-plane"),
  });
  const baseUrl = `http://127.0.0.1:${await http.listen(0, "127.0.0.1")}`;
  accounts = createClient(AccountService, (await signIn(baseUrl, "admin", PASSWORD)).transport);
});

beforeEach(() => {
  openai.requests.length = 0;
});

afterAll(async () => {
  await http?.close();
  await openai?.close();
  redis?.disconnect();
  await redisServer?.close();
});

describe("openai-api accounts", () => {
  it("are created with an API key on the configured API base URL, and tested with a small Responses call and a bearer key", async () => {
    const { account } = await accounts.createAccount({ name: "platform", type: AccountType.OPENAI_API, apiKey: DEFAULT_MOCK_OPENAI_API_KEY });
    expect(account).toMatchObject({ type: AccountType.OPENAI_API, platform: Platform.OPENAI, baseUrl: openai.apiBaseUrl, chatgptAccountId: "", tokenUrl: "" });
    expect(toJsonString(AccountSchema, account!)).not.toContain(DEFAULT_MOCK_OPENAI_API_KEY);

    const tested = await accounts.testAccount({ id: account!.id });
    expect(tested).toMatchObject({ ok: true, httpStatus: 200, model: "gpt-4.1-mini" });
    const sent = openai.requests.at(-1)!;
    expect(sent.path).toBe("/v1/responses");
    expect(sent.headers.authorization).toBe(`Bearer ${DEFAULT_MOCK_OPENAI_API_KEY}`);
    expect(sent.json).toMatchObject({ model: "gpt-4.1-mini", max_output_tokens: 16 });
  });

  it("report a refused key with OpenAI's error code and no key in the message", async () => {
    const { account } = await accounts.createAccount({ name: "bad-key", type: AccountType.OPENAI_API, apiKey: "sk-proj-not-a-known-key-1234" });
    const tested = await accounts.testAccount({ id: account!.id });
    expect(tested).toMatchObject({ ok: false, httpStatus: 401, errorType: "invalid_api_key" });
    expect(tested.errorMessage).not.toContain("sk-proj-not-a-known-key-1234");
  });
});

describe("openai-oauth accounts", () => {
  it("are created from a pasted Codex auth.json, named by the sign-in's email, and tested on the Codex backend with the ChatGPT account", async () => {
    const { account } = await accounts.createAccount({ name: "", type: AccountType.OPENAI_OAUTH, credentialsJson: openai.authJson() });
    expect(account).toMatchObject({
      name: DEFAULT_MOCK_CHATGPT_ACCOUNT.email,
      type: AccountType.OPENAI_OAUTH,
      platform: Platform.OPENAI,
      baseUrl: openai.codexBaseUrl,
      chatgptAccountId: ACCOUNT_ID,
    });
    expect(account?.tokenExpiresAt).toBeDefined();
    // A fresh token: nothing was refreshed, so the pasted refresh token is still the account's.
    expect(openai.requests).toHaveLength(0);
    expect(await store.credential(account!.id)).toMatchObject({ kind: "oauth", refreshToken: openai.accounts[0]!.refreshToken });

    const tested = await accounts.testAccount({ id: account!.id });
    expect(tested).toMatchObject({ ok: true, httpStatus: 200, model: "gpt-5" });
    const sent = openai.requests.at(-1)!;
    expect(sent.path).toBe("/backend-api/codex/responses");
    expect(sent.headers["chatgpt-account-id"]).toBe(ACCOUNT_ID);
    expect(sent.json).toMatchObject({ model: "gpt-5", stream: true, store: false, instructions: expect.any(String) });
  });

  it("report a deactivated workspace by its code, and keep tokens out of the message", async () => {
    const { account } = await accounts.createAccount({ name: "soon-banned", type: AccountType.OPENAI_OAUTH, credentialsJson: openai.authJson() });
    openai.accounts[0]!.deactivated = true;
    try {
      const tested = await accounts.testAccount({ id: account!.id });
      expect(tested).toMatchObject({ ok: false, httpStatus: 402, errorType: "deactivated_workspace" });
      const credential = await store.credential(account!.id);
      expect(tested.errorMessage).not.toContain(credential?.kind === "oauth" ? credential.accessToken : "none");
    } finally {
      openai.accounts[0]!.deactivated = false;
    }
  });

  it("take an expired pasted token by refreshing it first, and keep the rotated refresh token", async () => {
    const stale = JSON.parse(openai.authJson()) as { tokens: Record<string, string> };
    const presented = stale.tokens.refresh_token!;
    stale.tokens.access_token = "opaque-expired";
    const { account } = await accounts.createAccount({ name: "refreshed", type: AccountType.OPENAI_OAUTH, credentialsJson: JSON.stringify(stale) });
    expect(account).toMatchObject({ chatgptAccountId: ACCOUNT_ID });
    expect(openai.refreshCount(presented)).toBe(1);
    expect(await store.credential(account!.id)).toMatchObject({ refreshToken: openai.accounts[0]!.refreshToken, accessToken: expect.stringMatching(/^eyJ/) });
  });

  it("are created from pasted tokens, the ChatGPT account read from the access token", async () => {
    const accessToken = openai.issueAccessToken();
    const { account } = await accounts.createAccount({
      name: "tokens",
      type: AccountType.OPENAI_OAUTH,
      oauth: { accessToken, refreshToken: openai.accounts[0]!.refreshToken, expiresAt: timestampFromMs(Date.now() + 3_600_000) },
    });
    expect(account).toMatchObject({ name: "tokens", chatgptAccountId: ACCOUNT_ID });
    expect((await accounts.getAccount({ id: account!.id })).account).toMatchObject({ chatgptAccountId: ACCOUNT_ID });
  });
});

describe("updating openai-oauth accounts", () => {
  it("take new tokens from a pasted auth.json, and the ChatGPT account it names, lifting unauthorized", async () => {
    const other = await startMockOpenAI({ accounts: [{}, { email: "second@example.test" }] });
    try {
      const { account } = await accounts.createAccount({ name: "moving", type: AccountType.OPENAI_OAUTH, credentialsJson: openai.authJson() });
      const second = other.accounts[1]!;
      const { account: updated } = await accounts.updateAccount({ id: account!.id, credentialsJson: other.authJson(second.accountId) });
      expect(updated).toMatchObject({ name: "moving", chatgptAccountId: second.accountId });
      expect(await store.credential(account!.id)).toMatchObject({ refreshToken: second.refreshToken });
      const error = await rpcError(accounts.updateAccount({ id: account!.id, credentialsJson: JSON.stringify({ tokens: {} }) }));
      expect(error.rawMessage).toMatch(/^credentials_json: has no tokens.refresh_token/);
    } finally {
      await other.close();
    }
  });
});

describe("ChatGPT sign-in through the admin API", () => {
  it("gives Codex CLI's authorization URL for OPENAI_OAUTH and finishes it from the pasted callback URL into an account named by its email", async () => {
    const started = await accounts.generateOAuthUrl({ type: AccountType.OPENAI_OAUTH });
    const url = new URL(started.authorizeUrl);
    expect(url.origin + url.pathname).toBe("https://auth.openai.com/oauth/authorize");
    expect(url.searchParams.get("client_id")).toBe("app_EMoamEEZ73f0CkXaXp7hrann");
    expect(url.searchParams.get("redirect_uri")).toBe("http://localhost:1455/auth/callback");
    expect(url.searchParams.get("codex_cli_simplified_flow")).toBe("true");
    expect(url.searchParams.get("id_token_add_organizations")).toBe("true");
    openai.addAuthorizationCode("ac_admin-code", { codeChallenge: url.searchParams.get("code_challenge")!, redirectUri: OPENAI_DEFAULTS.redirectUri });

    // What the browser's address bar shows once auth.openai.com sends it to the (absent) local callback.
    const pasted = `http://localhost:1455/auth/callback?code=ac_admin-code&scope=openid+profile+email+offline_access&state=${started.state}`;
    const { account, created } = await accounts.exchangeOAuthCode({ code: pasted, state: "", group: "chatgpt" });
    expect(created).toBe(true);
    expect(account).toMatchObject({ name: DEFAULT_MOCK_CHATGPT_ACCOUNT.email, type: AccountType.OPENAI_OAUTH, platform: Platform.OPENAI, chatgptAccountId: ACCOUNT_ID, group: "chatgpt" });
    const call = openai.requests.find((r) => r.operation === "token")!;
    expect(call.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(call.body.toString("utf8")))).toMatchObject({ grant_type: "authorization_code", code: "ac_admin-code", client_id: "app_EMoamEEZ73f0CkXaXp7hrann" });
    expect(await store.credential(account!.id)).toMatchObject({ refreshToken: openai.accounts[0]!.refreshToken });
  });

  it("refuses a code the token endpoint does not know, naming its error code", async () => {
    const started = await accounts.generateOAuthUrl({ type: AccountType.OPENAI_OAUTH });
    const error = await rpcError(accounts.exchangeOAuthCode({ code: "ac_unknown", state: started.state, name: "x" }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe("code exchange failed: token endpoint answered 400: invalid_grant");
  });
});

describe("OpenAI account validation", () => {
  const file = () => openai.authJson();
  const cases: [string, () => Record<string, unknown>, RegExp][] = [
    ["an openai-api account without api_key", () => ({ type: AccountType.OPENAI_API }), /^api_key: is required for openai-api accounts/],
    ["an openai-api account without a name", () => ({ name: "", type: AccountType.OPENAI_API, apiKey: "sk-x" }), /^name: must not be empty/],
    ["an openai-oauth account without tokens or a file", () => ({ type: AccountType.OPENAI_OAUTH }), /^oauth.access_token: or credentials_json is required for openai-oauth accounts/],
    ["a Codex auth.json on an openai-api account", () => ({ type: AccountType.OPENAI_API, apiKey: "sk-x", credentialsJson: file() }), /^credentials_json: is not taken by openai-api accounts/],
    ["an auth.json holding only an API key", () => ({ type: AccountType.OPENAI_OAUTH, credentialsJson: JSON.stringify({ OPENAI_API_KEY: "sk-secret", tokens: null }) }), /^credentials_json: holds an API key, not a ChatGPT sign-in/],
    ["an auth.json without a refresh token", () => ({ type: AccountType.OPENAI_OAUTH, credentialsJson: JSON.stringify({ tokens: { access_token: "eyJ.secret" } }) }), /^credentials_json: has no tokens.refresh_token/],
    ["an auth.json that is not JSON", () => ({ type: AccountType.OPENAI_OAUTH, credentialsJson: "{nope" }), /^credentials_json: is not JSON/],
    ["a token URL on an openai-api account", () => ({ type: AccountType.OPENAI_API, apiKey: "sk-x", tokenUrl: "https://t.example.test/token" }), /^token_url: is only for claude-oauth, gemini-oauth and openai-oauth accounts/],
    ["a base URL that is not http(s)", () => ({ type: AccountType.OPENAI_API, apiKey: "sk-x", baseUrl: "ftp://gw.example.test/v1" }), /^base_url: must use/],
  ];

  for (const [what, request, message] of cases) {
    it(`refuses ${what} with InvalidArgument naming the field, before calling OpenAI`, async () => {
      const error = await rpcError(accounts.createAccount({ name: "invalid", ...request() }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(message);
      expect(error.rawMessage).not.toMatch(/secret|eyJ/);
      expect(openai.requests).toHaveLength(0);
    });
  }
});

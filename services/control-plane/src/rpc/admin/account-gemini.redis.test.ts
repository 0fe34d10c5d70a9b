/**
 * The account admin API for Gemini accounts, over real HTTP on 127.0.0.1 with
 * real Redis and the testkit's mock Google upstream (Gemini API, Code Assist
 * API, token endpoint): creating gemini-api and gemini-oauth accounts (tokens
 * or the Gemini CLI's credentials file; a named project, or one found through
 * loadCodeAssist or onboardUser), the fields answers carry, the Google sign-in
 * through GenerateOAuthUrl and ExchangeOAuthCode, TestAccount's request per
 * type, updates that find the project again, and the refusals.
 */
import { randomBytes } from "node:crypto";
import { toJsonString } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { AccountSchema, AccountService, AccountType, Platform } from "@claude-relay/proto/admin";
import {
  DEFAULT_MOCK_GEMINI_API_KEY,
  DEFAULT_MOCK_GOOGLE_ACCOUNT,
  DEFAULT_MOCK_OAUTH_CLIENT,
  startMockGemini,
  startRedis,
  type MockGemini,
  type MockGeminiOptions,
  type TestRedis,
} from "@claude-relay/testkit";
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
import { GEMINI_DEFAULTS } from "../../providers/gemini/google-oauth.js";
import { buildAccountProviders } from "../../providers/registry.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys } from "../../redis/keys.js";
import { rpcError, signIn } from "./admin-client.test-helper.js";

const PASSWORD = "gemini-accounts-test-password";
const log = createLogger({ service: "control-plane", level: "silent" });
const keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
const PROJECT = DEFAULT_MOCK_GOOGLE_ACCOUNT.projectId;
let redisServer: TestRedis;
let redis: Redis;
let store: AccountStore;
let http: AdminHttpServer;
let google: MockGemini;
let accounts: Client<typeof AccountService>;
const others: MockGemini[] = [];

/** Another mock Google upstream, for an account whose base URL points at it. */
async function otherGoogle(options: MockGeminiOptions): Promise<MockGemini> {
  const mock = await startMockGemini(options);
  others.push(mock);
  return mock;
}

/** A Gemini CLI credentials file for the mock's default account. */
function credentialsFile(accessToken: string, expiryDate: number): string {
  return JSON.stringify({ access_token: accessToken, refresh_token: DEFAULT_MOCK_GOOGLE_ACCOUNT.refreshToken, scope: "https://www.googleapis.com/auth/cloud-platform", token_type: "Bearer", expiry_date: expiryDate });
}

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  google = await startMockGemini();
  const providers = buildAccountProviders({
    gemini: {
      ...GEMINI_DEFAULTS,
      tokenUrl: google.tokenUrl,
      clientId: DEFAULT_MOCK_OAUTH_CLIENT.clientId,
      clientSecret: DEFAULT_MOCK_OAUTH_CLIENT.clientSecret,
      codeAssistUrl: google.url,
      apiUrl: google.url,
      codeAssist: { pollIntervalMs: 10, maxPolls: 3 },
    },
  });
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
  google.requests.length = 0;
});

afterAll(async () => {
  await http?.close();
  await Promise.all([google, ...others].map((mock) => mock?.close()));
  redis?.disconnect();
  await redisServer?.close();
});

describe("gemini-api accounts", () => {
  it("are created with an API key on the configured Gemini API base URL, and tested with x-goog-api-key", async () => {
    const { account } = await accounts.createAccount({ name: "studio", type: AccountType.GEMINI_API, apiKey: DEFAULT_MOCK_GEMINI_API_KEY });
    expect(account).toMatchObject({ type: AccountType.GEMINI_API, platform: Platform.GEMINI, baseUrl: google.url, projectId: "", tokenUrl: "" });
    expect(toJsonString(AccountSchema, account!)).not.toContain(DEFAULT_MOCK_GEMINI_API_KEY);
    expect(await store.credential(account!.id)).toEqual({ kind: "api-key", apiKey: DEFAULT_MOCK_GEMINI_API_KEY });

    const tested = await accounts.testAccount({ id: account!.id });
    expect(tested).toMatchObject({ ok: true, httpStatus: 200, model: "gemini-2.5-flash" });
    const sent = google.requests.at(-1)!;
    expect(sent.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(sent.headers["x-goog-api-key"]).toBe(DEFAULT_MOCK_GEMINI_API_KEY);
  });

  it("report a refused key with Google's status name and no key in the message", async () => {
    const { account } = await accounts.createAccount({ name: "bad-key", type: AccountType.GEMINI_API, apiKey: "AIza-not-a-known-key" });
    const tested = await accounts.testAccount({ id: account!.id });
    expect(tested).toMatchObject({ ok: false, httpStatus: 400, errorType: "INVALID_ARGUMENT" });
    expect(tested.errorMessage).not.toContain("AIza-not-a-known-key");
  });
});

describe("gemini-oauth accounts", () => {
  it("keep a named project and token URL without asking Code Assist", async () => {
    const { account } = await accounts.createAccount({
      name: "named",
      type: AccountType.GEMINI_OAUTH,
      oauth: { accessToken: DEFAULT_MOCK_GOOGLE_ACCOUNT.accessToken, refreshToken: DEFAULT_MOCK_GOOGLE_ACCOUNT.refreshToken, expiresAt: timestampFromMs(Date.now() + 3_600_000) },
      projectId: PROJECT,
      tokenUrl: google.tokenUrl,
    });
    expect(account).toMatchObject({ type: AccountType.GEMINI_OAUTH, platform: Platform.GEMINI, baseUrl: google.url, projectId: PROJECT, tokenUrl: google.tokenUrl });
    expect(google.requests).toHaveLength(0);
    expect((await accounts.getAccount({ id: account!.id })).account).toMatchObject({ projectId: PROJECT, platform: Platform.GEMINI });
    expect((await accounts.listAccounts({})).accounts.find((a) => a.id === account!.id)).toMatchObject({ projectId: PROJECT, tokenUrl: google.tokenUrl });
  });

  it("are created from a pasted Gemini CLI credentials file: an expired token is refreshed, then the project found with loadCodeAssist", async () => {
    const { account } = await accounts.createAccount({ name: "from-file", type: AccountType.GEMINI_OAUTH, credentialsJson: credentialsFile("ya29.stale", Date.now() - 60_000) });
    expect(account).toMatchObject({ projectId: PROJECT, platform: Platform.GEMINI });
    expect(google.requests.map((r) => r.operation)).toEqual(["token", "loadCodeAssist"]);
    const stored = await store.credential(account!.id);
    expect(stored).toMatchObject({ kind: "oauth", refreshToken: DEFAULT_MOCK_GOOGLE_ACCOUNT.refreshToken, accessToken: expect.stringMatching(/^ya29\.mock-/) });
    expect(google.requests[1]?.headers.authorization).toBe(`Bearer ${stored?.kind === "oauth" ? stored.accessToken : ""}`);
  });

  it("onboard an account Code Assist does not know yet, polling the operation, and take its project", async () => {
    const fresh = await otherGoogle({ accounts: [{ onboarded: false, projectId: "onboarded-proj-7" }], onboarding: "after-poll" });
    const { account } = await accounts.createAccount({
      name: "onboarded",
      type: AccountType.GEMINI_OAUTH,
      baseUrl: fresh.url,
      oauth: { accessToken: DEFAULT_MOCK_GOOGLE_ACCOUNT.accessToken, refreshToken: DEFAULT_MOCK_GOOGLE_ACCOUNT.refreshToken, expiresAt: timestampFromMs(Date.now() + 3_600_000) },
    });
    expect(account).toMatchObject({ projectId: "onboarded-proj-7", baseUrl: fresh.url });
    expect(fresh.requests.map((r) => r.operation)).toEqual(["loadCodeAssist", "onboardUser", "getOperation"]);

    // TestAccount sends the Code Assist envelope with that project, and the mock accepts it.
    const tested = await accounts.testAccount({ id: account!.id });
    expect(tested).toMatchObject({ ok: true, httpStatus: 200, model: "gemini-2.5-flash" });
    const sent = fresh.requests.at(-1)!;
    expect(sent.path).toBe("/v1internal:generateContent");
    expect(sent.json).toMatchObject({ model: "gemini-2.5-flash", project: "onboarded-proj-7", request: { contents: [{ role: "user" }] } });
  });

  it("are refused with FailedPrecondition naming the reason when no project can be found, and nothing is stored", async () => {
    const standard = await otherGoogle({ accounts: [{ tier: "standard-tier" }] });
    const before = (await accounts.listAccounts({})).accounts.length;
    const error = await rpcError(
      accounts.createAccount({ name: "no-project", type: AccountType.GEMINI_OAUTH, baseUrl: standard.url, credentialsJson: credentialsFile(DEFAULT_MOCK_GOOGLE_ACCOUNT.accessToken, Date.now() + 3_600_000) }),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe("gemini-oauth account setup failed: no Code Assist project found: the account's Code Assist tier has no project of its own; set project_id");
    expect((await accounts.listAccounts({})).accounts).toHaveLength(before);
  });

  it("find the project again when an update clears it, and take new tokens from a pasted file", async () => {
    const { account } = await accounts.createAccount({
      name: "update-me",
      type: AccountType.GEMINI_OAUTH,
      oauth: { accessToken: DEFAULT_MOCK_GOOGLE_ACCOUNT.accessToken, refreshToken: DEFAULT_MOCK_GOOGLE_ACCOUNT.refreshToken, expiresAt: timestampFromMs(Date.now() + 3_600_000) },
      projectId: "stale-project",
    });
    const { account: found } = await accounts.updateAccount({ id: account!.id, projectId: "" });
    expect(found).toMatchObject({ projectId: PROJECT });
    expect(google.requests.map((r) => r.operation)).toEqual(["loadCodeAssist"]);

    const token = google.issueAccessToken();
    const { account: updated } = await accounts.updateAccount({ id: account!.id, credentialsJson: credentialsFile(token, Date.now() + 3_600_000) });
    expect(updated).toMatchObject({ projectId: PROJECT });
    expect(await store.credential(account!.id)).toMatchObject({ accessToken: token });
    // The project was kept: new tokens alone ask Code Assist nothing.
    expect(google.requests.map((r) => r.operation)).toEqual(["loadCodeAssist"]);
  });
});

describe("Google sign-in through the admin API", () => {
  it("gives a Google authorization URL for GEMINI_OAUTH and finishes it into a gemini-oauth account with its project", async () => {
    const started = await accounts.generateOAuthUrl({ type: AccountType.GEMINI_OAUTH });
    const url = new URL(started.authorizeUrl);
    expect(url.origin + url.pathname).toBe("https://accounts.google.com/o/oauth2/v2/auth");
    expect(url.searchParams.get("redirect_uri")).toBe("https://codeassist.google.com/authcode");
    expect(url.searchParams.get("access_type")).toBe("offline");
    google.addAuthorizationCode("4/0A-admin-code", { refreshToken: DEFAULT_MOCK_GOOGLE_ACCOUNT.refreshToken, redirectUri: GEMINI_DEFAULTS.redirectUri, codeChallenge: url.searchParams.get("code_challenge")! });

    const { account, created } = await accounts.exchangeOAuthCode({ code: "4/0A-admin-code", state: started.state, name: "signed-in", group: "google" });
    expect(created).toBe(true);
    expect(account).toMatchObject({ name: "signed-in", type: AccountType.GEMINI_OAUTH, platform: Platform.GEMINI, projectId: PROJECT, group: "google" });
    expect(google.requests.map((r) => r.operation)).toEqual(["token", "loadCodeAssist"]);
    expect(await store.credential(account!.id)).toMatchObject({ refreshToken: DEFAULT_MOCK_GOOGLE_ACCOUNT.refreshToken });
  });

  it("refuses to put Google tokens on a Claude account, before the code is spent", async () => {
    const claude = await store.create({ name: "claude", type: "claude-oauth", credential: { kind: "oauth", accessToken: "a", refreshToken: "r", expiresAtMs: 0, scopes: [] } });
    const started = await accounts.generateOAuthUrl({ type: AccountType.GEMINI_OAUTH });
    const error = await rpcError(accounts.exchangeOAuthCode({ code: "c", state: started.state, accountId: claude.id }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("account_id: is not a gemini-oauth account");
    expect(google.requests).toHaveLength(0);
  });

  it("refuses a type that has no sign-in", async () => {
    const error = await rpcError(accounts.generateOAuthUrl({ type: AccountType.GEMINI_API }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(/^type: must be an OAuth account type this control plane signs in: claude-oauth, gemini-oauth/);
  });
});

describe("Gemini account validation", () => {
  const file = credentialsFile("ya29.x", Date.now() + 3_600_000);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["a gemini-api account without api_key", { type: AccountType.GEMINI_API }, /^api_key: is required for gemini-api accounts/],
    ["a gemini-oauth account without tokens or a file", { type: AccountType.GEMINI_OAUTH }, /^oauth.access_token: or credentials_json is required for gemini-oauth accounts/],
    ["an api_key on a gemini-oauth account", { type: AccountType.GEMINI_OAUTH, apiKey: "k", credentialsJson: file }, /^api_key: is only for claude-console, gemini-api and openai-api accounts; gemini-oauth accounts take oauth/],
    ["a credentials file on a gemini-api account", { type: AccountType.GEMINI_API, apiKey: "k", credentialsJson: file }, /^credentials_json: is not taken by gemini-api accounts/],
    ["a credentials file on a claude-oauth account", { type: AccountType.CLAUDE_OAUTH, credentialsJson: file }, /^credentials_json: is not taken by claude-oauth accounts/],
    ["both tokens and a file", { type: AccountType.GEMINI_OAUTH, oauth: { accessToken: "a" }, credentialsJson: file }, /^credentials_json: give either oauth or credentials_json/],
    ["a file that is not JSON", { type: AccountType.GEMINI_OAUTH, credentialsJson: "{nope" }, /^credentials_json: is not JSON/],
    ["a project on a gemini-api account", { type: AccountType.GEMINI_API, apiKey: "k", projectId: "p-1" }, /^project_id: is only for gemini-oauth accounts/],
    ["a project id with a slash", { type: AccountType.GEMINI_OAUTH, credentialsJson: file, projectId: "a/b" }, /^project_id: must be at most 128/],
    ["a token URL on a gemini-api account", { type: AccountType.GEMINI_API, apiKey: "k", tokenUrl: "https://t.example.test/token" }, /^token_url: is only for claude-oauth, gemini-oauth and openai-oauth accounts/],
    ["a token URL that is not a URL", { type: AccountType.GEMINI_OAUTH, credentialsJson: file, tokenUrl: "token" }, /^token_url: is not a valid URL/],
  ];

  for (const [what, request, message] of cases) {
    it(`refuses ${what} with InvalidArgument naming the field, before calling Google`, async () => {
      const error = await rpcError(accounts.createAccount({ name: "invalid", ...request }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(message);
      expect(error.rawMessage).not.toContain("ya29");
      expect(google.requests).toHaveLength(0);
    });
  }
});

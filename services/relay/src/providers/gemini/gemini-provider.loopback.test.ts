import { createHash } from "node:crypto";
import { AccountSignal, CredentialKind, OutcomeKind, Platform, RefusalReason, UpstreamAccountType } from "@claude-relay/proto/lease";
import { DEFAULT_MOCK_GEMINI_API_KEY, DEFAULT_MOCK_GOOGLE_ACCOUNT } from "@claude-relay/testkit";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RelayHarness, startRelayHarness } from "../../relay-harness.test-helper.js";

const CLIENT_KEY = "cr_gemini-client-key-0001";
const MODEL = "gemini-2.5-pro";
const BODY = JSON.stringify({ contents: [{ role: "user", parts: [{ text: "Grüße, 世界" }] }], systemInstruction: { parts: [{ text: "be brief" }] } });

let h: RelayHarness;

const apiAccount = { id: "gemini-api", type: UpstreamAccountType.GEMINI_API, credentialKind: CredentialKind.GOOGLE_API_KEY, credential: DEFAULT_MOCK_GEMINI_API_KEY };
const oauthAccount = {
  id: "gemini-oauth",
  type: UpstreamAccountType.GEMINI_OAUTH,
  credentialKind: CredentialKind.OAUTH_TOKEN,
  credential: DEFAULT_MOCK_GOOGLE_ACCOUNT.accessToken,
  projectId: DEFAULT_MOCK_GOOGLE_ACCOUNT.projectId,
};

beforeAll(async () => {
  h = await startRelayHarness({
    gemini: true,
    accounts: (_mockUrl, gemini) => [
      { ...apiAccount, baseUrl: gemini?.url ?? "" },
      { ...oauthAccount, baseUrl: gemini?.url ?? "" },
    ],
  });
});

afterAll(async () => {
  await h?.close();
});

beforeEach(async () => {
  await h.fake.waitForAllReleased();
  if (h.gemini) h.gemini.requests.length = 0;
  h.fake.acquires.length = 0;
  h.fake.releases.length = 0;
});

/** Leases the next request on this account. */
function onAccount(account: typeof apiAccount | typeof oauthAccount): void {
  h.fake.enqueueAcquire({ lease: { account: { ...account, baseUrl: h.gemini?.url ?? "" } } });
}

async function call(path: string, body: string | undefined, headers: Record<string, string> = { "x-goog-api-key": CLIENT_KEY }) {
  const res = await request(`${h.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json", ...headers },
    ...(body !== undefined && { body }),
    dispatcher: h.client,
  });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, bytes, text: bytes.toString("utf8") };
}

describe("the Gemini API front door on a Gemini API-key account", () => {
  it("streams the upstream's events byte for byte, even cut inside UTF-8 characters, and reports usage", async () => {
    onAccount(apiAccount);
    h.gemini?.enqueue({ kind: "text", text: "Grüße, 世界! ".repeat(30), chunks: 6, chunking: "byte", thoughts: "thinking…" });
    const res = await call(`/gemini/v1beta/models/${MODEL}:streamGenerateContent?alt=sse&key=${CLIENT_KEY}`, BODY, {});
    const upstream = h.gemini?.requests[0];
    expect(res.status).toBe(200);
    expect(res.bytes.equals(upstream?.responseBody ?? Buffer.alloc(0))).toBe(true);
    expect(upstream?.query).toEqual({ alt: "sse" });
    expect(upstream?.headers["x-goog-api-key"]).toBe(DEFAULT_MOCK_GEMINI_API_KEY);
    expect(upstream?.body.toString("utf8")).toBe(BODY);
    expect(h.fake.acquires[0]).toMatchObject({ model: MODEL, platform: Platform.GEMINI });
    expect(h.fake.acquires[0]?.sessionHash).toMatch(/^[0-9a-f]{64}$/);
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
    expect(release?.usage?.inputTokens).toBeGreaterThan(0);
    expect(release?.usage?.outputTokens).toBeGreaterThan(release?.usage?.reasoningTokens ?? 0);
    expect(release?.usage?.reasoningTokens).toBeGreaterThan(0);
  });

  it("passes a JSON answer and the default JSON-array stream through unchanged", async () => {
    onAccount(apiAccount);
    const json = await call(`/v1beta/models/${MODEL}:generateContent`, BODY);
    expect(json.status).toBe(200);
    expect(json.bytes.equals(h.gemini?.requests[0]?.responseBody ?? Buffer.alloc(0))).toBe(true);
    onAccount(apiAccount);
    const array = await call(`/v1beta/models/${MODEL}:streamGenerateContent`, BODY);
    expect(array.status).toBe(200);
    expect(array.text.trimStart().startsWith("[")).toBe(true);
    expect(array.bytes.equals(h.gemini?.requests[1]?.responseBody ?? Buffer.alloc(0))).toBe(true);
    const releases = await h.fake.waitForReleases(2);
    expect(releases.every((r) => (r.usage?.outputTokens ?? 0) > 0)).toBe(true);
  });

  it("takes our key from a Bearer token too, and never sends it upstream", async () => {
    onAccount(apiAccount);
    const res = await call(`/v1beta/models/${MODEL}:countTokens`, JSON.stringify({ contents: JSON.parse(BODY).contents }), { authorization: `Bearer ${CLIENT_KEY}` });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toHaveProperty("totalTokens");
    const upstream = h.gemini?.requests[0];
    expect(JSON.stringify(upstream?.headers)).not.toContain(CLIENT_KEY);
    expect(upstream?.url).not.toContain(CLIENT_KEY);
  });
});

describe("the Gemini API front door on a Code Assist account", () => {
  it("wraps the request in the v1internal envelope and unwraps the stream event by event", async () => {
    onAccount(oauthAccount);
    h.gemini?.enqueue({ kind: "text", text: "Grüße aus Code Assist", chunks: 4, chunking: "random" });
    const res = await call(`/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`, BODY);
    expect(res.status).toBe(200);
    const upstream = h.gemini?.requests[0];
    expect(upstream?.path).toBe("/v1internal:streamGenerateContent");
    expect(upstream?.headers.authorization).toBe(`Bearer ${DEFAULT_MOCK_GOOGLE_ACCOUNT.accessToken}`);
    expect(upstream?.json).toMatchObject({ model: MODEL, project: DEFAULT_MOCK_GOOGLE_ACCOUNT.projectId, request: JSON.parse(BODY) });
    const events = res.text.split(/\r?\n\r?\n/).filter((e) => e.startsWith("data: "));
    expect(events.length).toBeGreaterThan(1);
    const chunks = events.map((e) => JSON.parse(e.slice(6)) as { candidates?: Array<{ content: { parts: Array<{ text?: string }> } }>; response?: unknown });
    expect(chunks.every((c) => c.response === undefined && c.candidates !== undefined)).toBe(true);
    expect(chunks.map((c) => c.candidates?.[0]?.content.parts.map((p) => p.text ?? "").join("")).join("")).toBe("Grüße aus Code Assist");
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
    expect(release?.usage?.outputTokens).toBeGreaterThan(0);
  });

  it("answers a JSON-array stream and a JSON answer in the Gemini API's shapes", async () => {
    onAccount(oauthAccount);
    const array = await call(`/v1beta/models/${MODEL}:streamGenerateContent`, BODY);
    expect(array.status).toBe(200);
    const parsed = JSON.parse(array.text) as unknown[];
    expect(Array.isArray(parsed) && parsed.length > 0 && parsed.every((c) => typeof c === "object" && c !== null && "candidates" in c)).toBe(true);
    onAccount(oauthAccount);
    const json = await call(`/v1beta/models/${MODEL}:generateContent`, BODY);
    expect(JSON.parse(json.text)).toHaveProperty("candidates");
    expect(JSON.parse(json.text)).not.toHaveProperty("response");
  });
});

describe("the Code Assist front door", () => {
  const envelope = JSON.stringify({ model: MODEL, project: "claude-relay", user_prompt_id: "sess-1########0", request: { ...JSON.parse(BODY), session_id: "sess-1" } });

  it("passes to a Code Assist account with the account's project, bytes unchanged both ways", async () => {
    onAccount(oauthAccount);
    const res = await call("/v1internal:streamGenerateContent?alt=sse", envelope, { authorization: `Bearer ${CLIENT_KEY}` });
    expect(res.status).toBe(200);
    const upstream = h.gemini?.requests[0];
    expect(upstream?.json).toMatchObject({ project: DEFAULT_MOCK_GOOGLE_ACCOUNT.projectId, user_prompt_id: "sess-1########0" });
    expect(res.bytes.equals(upstream?.responseBody ?? Buffer.alloc(0))).toBe(true);
    // The session id the CLI sends is the session hint.
    expect(h.fake.acquires[0]?.sessionHash).toBe(createHash("sha256").update("sess-1").digest("hex"));
  });

  it("unwraps for a Gemini API account and wraps its answer back", async () => {
    onAccount(apiAccount);
    const res = await call("/v1internal:streamGenerateContent?alt=sse", envelope, { authorization: `Bearer ${CLIENT_KEY}` });
    expect(res.status).toBe(200);
    const upstream = h.gemini?.requests[0];
    expect(upstream?.path).toBe(`/v1beta/models/${MODEL}:streamGenerateContent`);
    expect(upstream?.json).toEqual(JSON.parse(BODY));
    const events = res.text.split(/\r?\n\r?\n/).filter((e) => e.startsWith("data: "));
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => "response" in (JSON.parse(e.slice(6)) as object))).toBe(true);
  });

  it("answers the CLI's housekeeping itself, with no lease", async () => {
    const load = await call("/v1internal:loadCodeAssist", "{}", { authorization: `Bearer ${CLIENT_KEY}` });
    expect(load.status).toBe(200);
    expect(JSON.parse(load.text)).toMatchObject({ currentTier: { id: "standard-tier" }, cloudaicompanionProject: "claude-relay" });
    const quota = await call("/v1internal:retrieveUserQuota", "{}", { authorization: `Bearer ${CLIENT_KEY}` });
    expect(JSON.parse(quota.text)).toEqual({ buckets: [] });
    expect(h.fake.acquires).toHaveLength(0);
    expect((await call("/v1internal:loadCodeAssist", "{}", {})).status).toBe(401);
  });
});

describe("errors on the Gemini front doors", () => {
  it("answers our refusals in Google's shape with Google's statuses", async () => {
    h.fake.enqueueAcquire({ refusal: { reason: RefusalReason.KEY_INVALID } });
    const bad = await call(`/v1beta/models/${MODEL}:generateContent`, BODY);
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.text)).toMatchObject({ error: { code: 401, status: "UNAUTHENTICATED" } });
    h.fake.enqueueAcquire({ refusal: { reason: RefusalReason.KEY_LIMIT, retryAfterMs: 5_000 } });
    const limited = await call(`/v1beta/models/${MODEL}:generateContent`, BODY);
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toBe("5");
    expect(JSON.parse(limited.text)).toMatchObject({ error: { code: 429, status: "RESOURCE_EXHAUSTED" } });
    h.fake.enqueueAcquire({ refusal: { reason: RefusalReason.NO_ACCOUNT } });
    expect(JSON.parse((await call(`/v1beta/models/${MODEL}:generateContent`, BODY)).text)).toMatchObject({ error: { code: 503, status: "UNAVAILABLE" } });
    const missing = await call(`/v1beta/models/${MODEL}:generateContent`, BODY, {});
    expect(missing.status).toBe(401);
    const notJson = await call(`/v1beta/models/${MODEL}:generateContent`, "{nope");
    expect(JSON.parse(notJson.text)).toMatchObject({ error: { code: 400, status: "INVALID_ARGUMENT" } });
    const unknown = await call("/v1beta/models/x:embedContent", BODY);
    expect(JSON.parse(unknown.text)).toMatchObject({ error: { code: 404, status: "NOT_FOUND" } });
  });

  it("fails a per-day 429 over to the next account and reports when the first may be used again", async () => {
    onAccount(apiAccount);
    onAccount(oauthAccount);
    h.gemini?.enqueue({ kind: "error", status: 429, quota: "per-day", retryDelaySeconds: 42 });
    const res = await call(`/v1beta/models/${MODEL}:generateContent`, BODY);
    expect(res.status).toBe(200);
    const releases = await h.fake.waitForReleases(2);
    const limited = releases.find((r) => r.outcome?.status === 429);
    expect(limited?.outcome).toMatchObject({ kind: OutcomeKind.UPSTREAM_ERROR, signal: AccountSignal.RATE_LIMITED, detail: "per-day quota exhausted" });
    expect(limited?.outcome?.headers["retry-after"]).toBe("42");
    expect(h.fake.acquires[1]?.excludeAccounts).toEqual([apiAccount.id]);
  });

  it("shows a bad request as it came, without failing over", async () => {
    onAccount(apiAccount);
    const res = await call(`/v1beta/models/${MODEL}:generateContent`, JSON.stringify({ contents: [] }));
    expect(res.status).toBe(400);
    expect(res.bytes.equals(h.gemini?.requests[0]?.responseBody ?? Buffer.alloc(0))).toBe(true);
    expect(h.fake.acquires).toHaveLength(1);
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.signal).toBe(AccountSignal.NONE);
  });
});

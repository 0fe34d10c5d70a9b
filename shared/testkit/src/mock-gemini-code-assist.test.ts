import { createSseParser } from "@claude-relay/anthropic";
import { afterEach, describe, expect, it } from "vitest";
import { type MockGemini, type MockGeminiOptions, startMockGemini } from "./mock-gemini.js";
import { DEFAULT_MOCK_GOOGLE_ACCOUNT } from "./mock-gemini-accounts.js";
import { DEFAULT_MOCK_GEMINI_TEXT } from "./mock-gemini-wire.js";

let mock: MockGemini;

afterEach(async () => {
  await mock?.close();
});

async function start(options: MockGeminiOptions = {}): Promise<MockGemini> {
  mock = await startMockGemini(options);
  return mock;
}

const TOKEN = DEFAULT_MOCK_GOOGLE_ACCOUNT.accessToken;
const PROJECT = DEFAULT_MOCK_GOOGLE_ACCOUNT.projectId;
const INNER = { contents: [{ role: "user", parts: [{ text: "hi" }] }], session_id: "session-1" };

function call(method: string, body: unknown, token: string | null = TOKEN): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return fetch(`${mock.url}/v1internal:${method}`, { method: "POST", body: JSON.stringify(body), headers });
}

async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

interface GoogleError {
  error: { code: number; message: string; status: string; details?: Record<string, unknown>[] };
}

function envelope(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: "gemini-2.5-pro", project: PROJECT, user_prompt_id: "prompt-1", request: INNER, ...overrides };
}

describe("the mock's Code Assist API", () => {
  it("refuses a call without a Bearer token or with an unknown one with 401 UNAUTHENTICATED, in an array on a stream", async () => {
    await start();
    const missing = await call("loadCodeAssist", { metadata: {} }, null);
    expect(missing.status).toBe(401);
    const missingError = (await json<GoogleError>(missing)).error;
    expect(missingError).toMatchObject({ code: 401, status: "UNAUTHENTICATED", message: expect.stringMatching(/^Request is missing required authentication credential/) });
    expect(missingError.details?.[0]).toMatchObject({ reason: "CREDENTIALS_MISSING" });
    const wrong = await call("streamGenerateContent?alt=sse", envelope(), "ya29.unknown");
    expect(wrong.status).toBe(401);
    const [wrapped] = await json<GoogleError[]>(wrong);
    expect(wrapped?.error.details?.[0]).toMatchObject({ reason: "ACCESS_TOKEN_TYPE_UNSUPPORTED" });
  });

  it("reports an onboarded free-tier account's tier and managed project, and refuses another project", async () => {
    await start();
    const load = await json(await call("loadCodeAssist", { metadata: { ideType: "IDE_UNSPECIFIED", pluginType: "GEMINI" } }));
    expect(load).toMatchObject({ currentTier: { id: "free-tier" }, cloudaicompanionProject: PROJECT });
    expect((load.allowedTiers as { isDefault?: boolean; id: string }[]).find((tier) => tier.isDefault)?.id).toBe("free-tier");
    const foreign = await call("loadCodeAssist", { cloudaicompanionProject: "someone-else", metadata: {} });
    expect(foreign.status).toBe(403);
    expect((await json<GoogleError>(foreign)).error.details?.[0]).toMatchObject({ reason: "IAM_PERMISSION_DENIED" });
  });

  it("onboards a new account in one answer, after which loadCodeAssist reports its tier", async () => {
    await start({ accounts: [{ onboarded: false }] });
    const before = await json(await call("loadCodeAssist", { metadata: {} }));
    expect(before.currentTier).toBeUndefined();
    expect(before.cloudaicompanionProject).toBeUndefined();
    expect((await call("streamGenerateContent?alt=sse", envelope())).status).toBe(403);
    const operation = await json(await call("onboardUser", { tierId: "free-tier", metadata: {} }));
    expect(operation).toMatchObject({ done: true, response: { cloudaicompanionProject: { id: PROJECT } } });
    expect(String(operation.name)).toMatch(/^operations\//);
    expect(await json(await call("loadCodeAssist", { metadata: {} }))).toMatchObject({ currentTier: { id: "free-tier" }, cloudaicompanionProject: PROJECT });
  });

  it("finishes onboarding on the first operations poll when told to", async () => {
    await start({ accounts: [{ onboarded: false }], onboarding: "after-poll" });
    const started = await json(await call("onboardUser", { tierId: "free-tier", metadata: {} }));
    expect(started.done).toBe(false);
    expect(mock.accounts[0]?.onboarded).toBe(false);
    const poll = await fetch(`${mock.url}/v1internal/${String(started.name)}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await json(poll)).toMatchObject({ name: started.name, done: true, response: { cloudaicompanionProject: { id: PROJECT } } });
    expect(mock.accounts[0]?.onboarded).toBe(true);
    expect(mock.requests.at(-1)?.operation).toBe("getOperation");
  });

  it("holds a standard-tier account to the project the user names", async () => {
    await start({ accounts: [{ tier: "standard-tier", projectId: "my-gcp-project", onboarded: false }] });
    const freeWithProject = await call("onboardUser", { tierId: "free-tier", cloudaicompanionProject: "my-gcp-project", metadata: {} });
    expect(freeWithProject.status).toBe(400);
    expect((await json(await call("onboardUser", { tierId: "standard-tier", cloudaicompanionProject: "my-gcp-project", metadata: {} }))).done).toBe(true);
    expect((await json(await call("loadCodeAssist", { metadata: {} }))).cloudaicompanionProject).toBeUndefined();
    expect((await json(await call("loadCodeAssist", { cloudaicompanionProject: "my-gcp-project", metadata: {} }))).cloudaicompanionProject).toBe("my-gcp-project");
  });

  it("streams generation in the response envelope with a traceId, and reads the envelope the CLI sends", async () => {
    await start();
    const response = await call("streamGenerateContent?alt=sse", envelope());
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const events: { response: { candidates: { content: { parts: { text: string }[] } }[]; usageMetadata: Record<string, number> }; traceId: string }[] = [];
    const parser = createSseParser((event) => events.push(JSON.parse(event.data)));
    parser.push(new Uint8Array(await response.arrayBuffer()));
    parser.end();
    expect(events.map((event) => event.response.candidates[0]?.content.parts[0]?.text).join("")).toBe(DEFAULT_MOCK_GEMINI_TEXT);
    expect(new Set(events.map((event) => event.traceId)).size).toBe(1);
    expect(events.at(-1)?.response.usageMetadata.candidatesTokenCount).toBeGreaterThan(0);
    expect(mock.requests[0]).toMatchObject({ api: "code-assist", operation: "streamGenerateContent", query: { alt: "sse" } });
    expect((mock.requests[0]?.json as { request: { session_id: string } }).request.session_id).toBe("session-1");
  });

  it("answers generateContent and countTokens in their envelopes", async () => {
    await start();
    const generated = await json<{ response: { candidates: unknown[]; modelVersion: string }; traceId: string }>(await call("generateContent", envelope({ model: "gemini-2.5-flash" })));
    expect(generated.response.modelVersion).toBe("gemini-2.5-flash");
    expect(generated.traceId).toBeTruthy();
    const counted = await json(await call("countTokens", { request: { model: "models/gemini-2.5-flash", contents: INNER.contents } }));
    expect(counted).toEqual({ totalTokens: expect.any(Number) });
  });

  it.each([
    ["another project", envelope({ project: "someone-else" }), 403, "PERMISSION_DENIED"],
    ["an unknown model", envelope({ model: "gemini-9-ultra" }), 404, "NOT_FOUND"],
    ["an unknown envelope field", envelope({ stream: true }), 400, "INVALID_ARGUMENT"],
    ["empty contents", envelope({ request: { contents: [] } }), 400, "INVALID_ARGUMENT"],
  ])("refuses a stream for %s, the error in an array", async (_name, body, code, status) => {
    await start();
    const response = await call("streamGenerateContent?alt=sse", body);
    expect(response.status).toBe(code);
    expect((await json<GoogleError[]>(response))[0]?.error).toMatchObject({ code, status });
  });

  it("counts generation requests in retrieveUserQuota and answers the CLI's other setup calls", async () => {
    await start({ dailyRequestLimit: 4 });
    await (await call("generateContent", envelope())).arrayBuffer();
    const quota = await json<{ buckets: { modelId: string; remainingFraction: number; tokenType: string; resetTime: string }[] }>(await call("retrieveUserQuota", { project: PROJECT }));
    expect(quota.buckets.find((bucket) => bucket.modelId === "gemini-2.5-pro")).toMatchObject({ remainingFraction: 0.75, tokenType: "REQUESTS", resetTime: expect.stringMatching(/Z$/) });
    expect(quota.buckets.find((bucket) => bucket.modelId === "gemini-2.5-flash")?.remainingFraction).toBe(1);
    expect(await json(await call("listExperiments", { project: PROJECT, metadata: { duetProject: PROJECT } }))).toEqual({ experimentIds: [], flags: [] });
    expect(await json(await call("recordCodeAssistMetrics", { project: PROJECT, metrics: [] }))).toEqual({});
    expect((await call("retrieveUserQuota", { project: "someone-else" })).status).toBe(403);
    expect((await call("noSuchMethod", {})).status).toBe(404);
  });

  it("sends Code Assist quota errors as ErrorInfo reasons in the cloudcode-pa domain", async () => {
    await start();
    mock.enqueue({ kind: "error", status: 429, retryDelaySeconds: 3 }, { kind: "error", status: 429, quota: "per-day", retryDelaySeconds: 3600 });
    const [perMinute] = await json<GoogleError[]>(await call("streamGenerateContent?alt=sse", envelope()));
    expect(perMinute?.error.details).toEqual([
      expect.objectContaining({ reason: "RATE_LIMIT_EXCEEDED", domain: "cloudcode-pa.googleapis.com" }),
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "3s" },
    ]);
    const perDay = await call("generateContent", envelope());
    expect(perDay.status).toBe(429);
    const error = (await json<GoogleError>(perDay)).error;
    expect(error.details?.[0]).toMatchObject({ reason: "QUOTA_EXHAUSTED", metadata: { quotaResetDelay: "3600s" } });
  });

  it("scripts a setup method's answer on its own queue", async () => {
    await start();
    mock.enqueueOn("loadCodeAssist", { kind: "error", status: 503 });
    mock.enqueue({ kind: "error", status: 500 });
    expect((await call("loadCodeAssist", { metadata: {} })).status).toBe(503);
    expect((await call("loadCodeAssist", { metadata: {} })).status).toBe(200);
    expect((await call("generateContent", envelope())).status).toBe(500);
  });

  it("accepts a token from the token endpoint until it expires", async () => {
    let now = 1_000_000;
    await start({ now: () => now, accessTokenTtlSeconds: 60 });
    const token = mock.issueAccessToken();
    expect((await call("loadCodeAssist", { metadata: {} }, token)).status).toBe(200);
    now += 61_000;
    expect((await call("loadCodeAssist", { metadata: {} }, token)).status).toBe(401);
    expect((await call("loadCodeAssist", { metadata: {} })).status).toBe(200);
    mock.revokeAccessToken(TOKEN);
    expect((await call("loadCodeAssist", { metadata: {} })).status).toBe(401);
  });
});

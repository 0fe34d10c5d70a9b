import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type MockOpenAI, startMockOpenAI } from "./mock-openai.js";
import { DEFAULT_MOCK_CHATGPT_ACCOUNT } from "./mock-openai-auth.js";

let mock: MockOpenAI;
const SECOND = { accountId: "acct-second", email: "second@example.com", refreshToken: "rt_second", planType: "pro" };

beforeEach(async () => {
  mock = await startMockOpenAI({ accounts: [{}, SECOND] });
});

afterEach(async () => {
  await mock.close();
});

const CODEX_REQUEST = {
  model: "gpt-5.1-codex",
  instructions: "You are Codex.",
  input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "héllo" }] }],
  tools: [{ type: "function", name: "shell", parameters: { type: "object" } }],
  tool_choice: "auto",
  parallel_tool_calls: false,
  reasoning: { effort: "medium", summary: "auto" },
  store: false,
  stream: true,
  include: ["reasoning.encrypted_content"],
  prompt_cache_key: "session-1",
};

function headersFor(token: string, accountId: string | undefined): Record<string, string> {
  return { authorization: `Bearer ${token}`, "content-type": "application/json", ...(accountId === undefined ? {} : { "chatgpt-account-id": accountId }) };
}

function codex(body: unknown, headers: Record<string, string> = headersFor(mock.issueAccessToken(), DEFAULT_MOCK_CHATGPT_ACCOUNT.accountId)): Promise<Response> {
  return fetch(`${mock.codexBaseUrl}/responses`, { method: "POST", body: JSON.stringify(body), headers });
}

const RATE_HEADERS = ["used-percent", "window-minutes", "reset-after-seconds", "reset-at"].flatMap((suffix) => [`x-codex-primary-${suffix}`, `x-codex-secondary-${suffix}`]);

function expectRateHeaders(response: Response): void {
  for (const name of RATE_HEADERS) expect(response.headers.get(name), name).toMatch(/^\d+(\.\d+)?$/);
}

describe("startMockOpenAI Codex backend credentials", () => {
  it("refuses a missing or unknown token with 401, and an expired one with token_expired", async () => {
    const none = await codex(CODEX_REQUEST, { "content-type": "application/json" });
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ detail: expect.stringContaining("authentication token") });
    expect((await codex(CODEX_REQUEST, headersFor("not-a-token", DEFAULT_MOCK_CHATGPT_ACCOUNT.accountId))).status).toBe(401);
    const expired = await codex(CODEX_REQUEST, headersFor(mock.issueAccessToken(undefined, -1), DEFAULT_MOCK_CHATGPT_ACCOUNT.accountId));
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ error: { code: "token_expired" } });
  });

  it("refuses a missing or foreign chatgpt-account-id with 403, still reporting the rate limits", async () => {
    const token = mock.issueAccessToken();
    const missing = await codex(CODEX_REQUEST, headersFor(token, undefined));
    expect(missing.status).toBe(403);
    expectRateHeaders(missing);
    const foreign = await codex(CODEX_REQUEST, headersFor(token, SECOND.accountId));
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toEqual({ detail: expect.stringContaining(SECOND.accountId) });
  });

  it("refuses a revoked access token", async () => {
    const token = mock.issueAccessToken();
    mock.revokeAccessToken(token);
    expect((await codex(CODEX_REQUEST, headersFor(token, DEFAULT_MOCK_CHATGPT_ACCOUNT.accountId))).status).toBe(401);
  });
});

describe("startMockOpenAI Codex backend rules", () => {
  it.each([
    ["without instructions", { ...CODEX_REQUEST, instructions: undefined }, "Instructions are required"],
    ["with store left out", { ...CODEX_REQUEST, store: undefined }, "Store must be set to false"],
    ["with store true", { ...CODEX_REQUEST, store: true }, "Store must be set to false"],
    ["without streaming", { ...CODEX_REQUEST, stream: false }, "Stream must be set to true"],
  ])("answers 400 %s", async (_name, body, detail) => {
    const response = await codex(body);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ detail });
    expectRateHeaders(response);
  });

  it("refuses what the API refuses, and a model Codex does not serve", async () => {
    const unknown = await codex({ ...CODEX_REQUEST, foo: true });
    expect(await unknown.json()).toMatchObject({ error: { code: "unknown_parameter", param: "foo" } });
    const model = await codex({ ...CODEX_REQUEST, model: "gpt-9" });
    expect(model.status).toBe(400);
    expect(await model.json()).toEqual({ detail: "The 'gpt-9' model is not supported when using Codex with a ChatGPT account." });
  });
});

describe("startMockOpenAI Codex backend answers", () => {
  it("streams an answer carrying the account's rate-limit windows", async () => {
    mock.setRateLimits(DEFAULT_MOCK_CHATGPT_ACCOUNT.accountId, { primary: { usedPercent: 42.5, windowMinutes: 300, resetAfterSeconds: 1200 } });
    const before = Math.floor(Date.now() / 1000);
    const response = await codex(CODEX_REQUEST);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("x-codex-primary-used-percent")).toBe("42.5");
    expect(response.headers.get("x-codex-primary-window-minutes")).toBe("300");
    expect(response.headers.get("x-codex-primary-reset-after-seconds")).toBe("1200");
    expect(Number(response.headers.get("x-codex-primary-reset-at"))).toBeGreaterThanOrEqual(before + 1200);
    expect(response.headers.get("x-codex-secondary-window-minutes")).toBe("10080");
    const text = await response.text();
    expect(text).toMatch(/^event: response\.created\n/);
    expect(text).toContain("event: response.completed\n");
    expect(mock.requests[0]).toMatchObject({ operation: "codexResponses", credential: DEFAULT_MOCK_CHATGPT_ACCOUNT.accountId });
  });

  it("answers a function call of Codex's first tool by default", async () => {
    mock.enqueue({ kind: "function_call", arguments: '{"command":["ls"]}' });
    const text = await (await codex(CODEX_REQUEST)).text();
    expect(text).toContain('"name":"shell"');
    expect(text).toContain("event: response.function_call_arguments.done\n");
  });

  it("answers usage_limit_reached with its plan and resets, the primary window full", async () => {
    const token = mock.issueAccessToken(SECOND.refreshToken);
    mock.enqueue({ kind: "usage_limit", resetsInSeconds: 900 });
    const before = Math.floor(Date.now() / 1000);
    const response = await codex(CODEX_REQUEST, headersFor(token, SECOND.accountId));
    expect(response.status).toBe(429);
    expect(response.headers.get("x-codex-primary-used-percent")).toBe("100");
    expectRateHeaders(response);
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: "usage_limit_reached", message: "The usage limit has been reached", plan_type: "pro", resets_in_seconds: 900 });
    expect(body.error.resets_at).toBeGreaterThanOrEqual(before + 900);
  });

  it("answers 402 deactivated_workspace when scripted, and for a deactivated account", async () => {
    mock.enqueue({ kind: "deactivated" });
    const scripted = await codex(CODEX_REQUEST);
    expect(scripted.status).toBe(402);
    expect(await scripted.json()).toEqual({ detail: { code: "deactivated_workspace" } });
    expectRateHeaders(scripted);
    const account = mock.accounts[0];
    if (account) account.deactivated = true;
    const banned = await codex(CODEX_REQUEST);
    expect(banned.status).toBe(402);
    expect(mock.requests).toHaveLength(2);
  });

  it("resolves a previous response only on the account that produced it", async () => {
    const first = await (await codex(CODEX_REQUEST)).text();
    const id = /"id":"(resp_[0-9a-f]+)"/.exec(first)?.[1];
    expect(id).toBeDefined();
    expect((await codex({ ...CODEX_REQUEST, previous_response_id: id })).status).toBe(200);
    const other = await codex({ ...CODEX_REQUEST, previous_response_id: id }, headersFor(mock.issueAccessToken(SECOND.refreshToken), SECOND.accountId));
    expect(other.status).toBe(400);
    expect(await other.json()).toMatchObject({ error: { code: "previous_response_not_found", message: `Previous response with id '${id}' not found.` } });
  });
});

import { OutcomeKind, Platform, RefusalReason, UpstreamAccountType } from "@claude-relay/proto/lease";
import { DEFAULT_MOCK_CHATGPT_ACCOUNT, DEFAULT_MOCK_OPENAI_API_KEY, DEFAULT_MOCK_OPENAI_TEXT, type MockOpenAI } from "@claude-relay/testkit";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { continuationHash, sha256Hex } from "../../http/read-body.js";
import { type RelayHarness, startRelayHarness } from "../../relay-harness.test-helper.js";
import { codexTurnBody, openAiApiAccount, openAiCodexAccount } from "./openai-accounts.test-helper.js";

const CLIENT_KEY = "cr_responses-client-key-0001";

let h: RelayHarness;
let mock: MockOpenAI;
let accessToken = "";

const apiAccount = (m: MockOpenAI) => openAiApiAccount(m);
const codexAccount = (m: MockOpenAI) => openAiCodexAccount(m, accessToken);
const codexBody = codexTurnBody;

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  request(`${h.url}${path}`, { method: "POST", body, headers: { authorization: `Bearer ${CLIENT_KEY}`, "content-type": "application/json", ...headers }, dispatcher: h.client });

beforeAll(async () => {
  h = await startRelayHarness({
    openai: true,
    env: { RELAY_MAX_BODY_BYTES: "4096" },
    accounts: (_url, _gemini, openai) => {
      accessToken = openai?.issueAccessToken() ?? "";
      return openai ? [apiAccount(openai), codexAccount(openai)] : [];
    },
  });
  mock = h.openai as MockOpenAI;
});

afterAll(async () => {
  await h?.close();
});

beforeEach(async () => {
  await h.fake.waitForAllReleased();
  mock.requests.length = 0;
  h.fake.acquires.length = 0;
  h.fake.releases.length = 0;
});

describe("the Responses front door", () => {
  it("streams an API-key account's answer byte for byte, even cut inside UTF-8 characters, and releases its usage and response id", async () => {
    h.fake.enqueueAcquire({ lease: { account: apiAccount(mock) } });
    mock.enqueue({ kind: "text", chunking: "byte", reasoning: "thinking…", usage: { cached_tokens: 5 } });
    const res = await post("/openai/v1/responses", JSON.stringify({ model: "gpt-5", input: "hi", stream: true }));
    const bytes = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/event-stream");
    const [upstream] = mock.requests;
    expect(bytes.equals(upstream?.responseBody ?? Buffer.alloc(0))).toBe(true);
    expect(bytes.toString("utf8")).toContain("世界");
    expect(upstream?.path).toBe("/v1/responses");
    expect(upstream?.headers.authorization).toBe(`Bearer ${DEFAULT_MOCK_OPENAI_API_KEY}`);
    expect(h.fake.acquires[0]).toMatchObject({ platform: Platform.OPENAI, model: "gpt-5", accountTypes: [UpstreamAccountType.OPENAI_API] });
    const completed = /event: response\.completed\ndata: (.*)\n/.exec(bytes.toString("utf8"))?.[1] ?? "{}";
    const response = (JSON.parse(completed) as { response: { id: string; usage: { input_tokens: number; output_tokens: number; output_tokens_details: { reasoning_tokens: number } } } }).response;
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
    expect(release?.frontDoor).toBe("openai-responses");
    expect(release?.usage).toMatchObject({ model: "gpt-5", inputTokens: response.usage.input_tokens - 5, cacheReadInputTokens: 5, outputTokens: response.usage.output_tokens });
    expect(release?.usage?.reasoningTokens).toBe(response.usage.output_tokens_details.reasoning_tokens);
    expect(release?.usage?.reasoningTokens).toBeGreaterThan(0);
    expect(release?.continuationHashes).toEqual([continuationHash(response.id)]);
  });

  it("passes a JSON answer byte for byte on every path, with the upstream's headers", async () => {
    for (const path of ["/openai/responses", "/v1/responses"]) {
      mock.requests.length = 0;
      h.fake.enqueueAcquire({ lease: { account: apiAccount(mock) } });
      const res = await post(path, JSON.stringify({ model: "gpt-5", input: "hi" }));
      const bytes = Buffer.from(await res.body.arrayBuffer());
      expect(res.statusCode).toBe(200);
      expect(bytes.equals(mock.requests[0]?.responseBody ?? Buffer.alloc(0))).toBe(true);
      expect(res.headers["openai-version"]).toBe("2020-10-01");
      const id = (JSON.parse(bytes.toString("utf8")) as { id: string }).id;
      const [release] = await h.fake.waitForReleases(1);
      expect(release?.continuationHashes).toEqual([continuationHash(id)]);
      h.fake.releases.length = 0;
    }
  });

  it("calls the Codex backend as Codex does, with the account's token and workspace and none of the client's credentials", async () => {
    mock.setRateLimits(DEFAULT_MOCK_CHATGPT_ACCOUNT.accountId, { primary: { usedPercent: 42, windowMinutes: 300, resetAfterSeconds: 600 } });
    h.fake.enqueueAcquire({ lease: { account: codexAccount(mock) } });
    const res = await post("/backend-api/codex/responses", codexBody(), { session_id: "sess-77", "chatgpt-account-id": "client-workspace", "openai-organization": "org-client" });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(200);
    const [upstream] = mock.requests;
    expect(bytes.equals(upstream?.responseBody ?? Buffer.alloc(0))).toBe(true);
    expect(bytes.toString("utf8")).toContain(JSON.stringify(DEFAULT_MOCK_OPENAI_TEXT).slice(1, 10));
    expect(upstream?.path).toBe("/backend-api/codex/responses");
    expect(upstream?.headers).toMatchObject({
      authorization: `Bearer ${accessToken}`,
      "chatgpt-account-id": DEFAULT_MOCK_CHATGPT_ACCOUNT.accountId,
      "openai-beta": "responses=experimental",
      originator: "codex_cli_rs",
      session_id: "sess-77",
    });
    expect(upstream?.headers["openai-organization"]).toBeUndefined();
    expect(JSON.stringify(upstream?.headers)).not.toContain(CLIENT_KEY);
    expect(upstream?.body.toString("utf8")).toBe(codexBody());
    expect(h.fake.acquires[0]).toMatchObject({ sessionHash: sha256Hex("sess-77"), accountTypes: [] });
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.headers).toMatchObject({ "x-codex-primary-used-percent": "42", "x-codex-primary-window-minutes": "300" });
  });

  it("sends a request continuing a response to the account its Release bound", async () => {
    h.fake.enqueueAcquire({ lease: { account: apiAccount(mock) } });
    const first = await post("/openai/v1/responses", JSON.stringify({ model: "gpt-5", input: "hi" }));
    const id = ((await first.body.json()) as { id: string }).id;
    const [release] = await h.fake.waitForReleases(1);
    h.fake.enqueueAcquire({ lease: { account: apiAccount(mock) } });
    const second = await post("/openai/v1/responses", JSON.stringify({ model: "gpt-5", input: "and then?", previous_response_id: id }), { session_id: "ignored" });
    expect(second.statusCode).toBe(200);
    await second.body.dump();
    expect(h.fake.acquires[1]?.sessionHash).toBe(release?.continuationHashes[0]);
  });

  it("passes an upstream refusal through byte for byte", async () => {
    h.fake.enqueueAcquire({ lease: { account: apiAccount(mock) } });
    const res = await post("/openai/v1/responses", JSON.stringify({ model: "gpt-5", input: "hi", previous_response_id: "resp_nobody_made_this" }));
    const bytes = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(400);
    expect(bytes.equals(mock.requests[0]?.responseBody ?? Buffer.alloc(0))).toBe(true);
    expect(JSON.parse(bytes.toString("utf8"))).toMatchObject({ error: { code: "previous_response_not_found" } });
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.UPSTREAM_ERROR);
    expect(release?.continuationHashes).toEqual([]);
  });

  it("answers its own refusals in OpenAI's shape with OpenAI's statuses", async () => {
    const cases: Array<{ send: () => ReturnType<typeof post>; status: number; code?: string | null; param?: string }> = [
      { send: () => request(`${h.url}/v1/responses`, { method: "POST", body: "{}", dispatcher: h.client }), status: 401, code: "invalid_api_key" },
      { send: () => post("/openai/v1/responses", "{not json"), status: 400, code: null },
      { send: () => post("/openai/v1/responses", '{"input":"hi"}'), status: 400, param: "model" },
      { send: () => post("/openai/v1/responses", JSON.stringify({ model: "gpt-5", input: "x".repeat(5_000) })), status: 413 },
      { send: () => post("/openai/v1/nothing-here", "{}"), status: 404 },
      { send: () => post("/backend-api/codex/other", "{}"), status: 404 },
    ];
    for (const c of cases) {
      const res = await c.send();
      const body = (await res.body.json()) as { error: { code: string | null; param: string | null } };
      expect(res.statusCode).toBe(c.status);
      expect(body).toMatchObject({ error: { message: expect.any(String), type: expect.any(String) } });
      expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
      if (c.code !== undefined) expect(body.error.code).toBe(c.code);
      if (c.param !== undefined) expect(body.error.param).toBe(c.param);
    }
    const refusals: Array<{ reason: RefusalReason; status: number; retryAfter?: string }> = [
      { reason: RefusalReason.KEY_INVALID, status: 401 },
      { reason: RefusalReason.NOT_ALLOWED, status: 403 },
      { reason: RefusalReason.KEY_LIMIT, status: 429, retryAfter: "3" },
      { reason: RefusalReason.NO_ACCOUNT, status: 503 },
    ];
    for (const r of refusals) {
      h.fake.enqueueAcquire({ refusal: { reason: r.reason, retryAfterMs: r.retryAfter ? 2_500 : 0 } });
      const res = await post("/openai/v1/responses", JSON.stringify({ model: "gpt-5", input: "hi" }));
      expect(res.statusCode).toBe(r.status);
      expect(((await res.body.json()) as { error: unknown }).error).toBeDefined();
      if (r.retryAfter) expect(res.headers["retry-after"]).toBe(r.retryAfter);
    }
    expect(mock.requests).toHaveLength(0);
  });
});

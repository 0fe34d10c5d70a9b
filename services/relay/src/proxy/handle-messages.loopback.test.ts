import { createHash } from "node:crypto";
import Anthropic from "@anthropic-ai/sdk";
import { CredentialKind, OutcomeKind } from "@claude-relay/proto/lease";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { messagesBody, type RelayHarness, startRelayHarness } from "../relay-harness.test-helper.js";

const CLIENT_KEY = "sk-relay-client-key-0001";

let h: RelayHarness;

beforeAll(async () => {
  h = await startRelayHarness({
    accounts: (mockUrl) => [
      { id: "acct-1", baseUrl: mockUrl, credential: "sk-ant-account-one" },
      { id: "acct-oauth", baseUrl: `${mockUrl}/prefix/`, credentialKind: CredentialKind.OAUTH_TOKEN, credential: "oauth-access-token" },
    ],
  });
});

afterAll(async () => {
  await h?.close();
});

beforeEach(async () => {
  await h.fake.waitForAllReleased();
  h.mock.requests.length = 0;
  h.fake.acquires.length = 0;
  h.fake.releases.length = 0;
});

async function post(body: string, headers: Record<string, string> = {}, path = "/v1/messages") {
  const res = await request(`${h.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": CLIENT_KEY, ...headers },
    body,
    dispatcher: h.client,
  });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, bytes };
}

describe("POST /v1/messages", () => {
  it("streams the upstream's events to the client byte for byte, with its status and headers", async () => {
    h.mock.enqueue({ kind: "message", chunking: "random", events: 12, text: "Grüße, 世界! ".repeat(40) });
    const res = await post(messagesBody({ stream: true }));
    const upstream = h.mock.requests[0];
    expect(res.status).toBe(200);
    expect(upstream?.status).toBe(200);
    expect(res.bytes.equals(upstream?.responseBody ?? Buffer.alloc(0))).toBe(true);
    expect(res.bytes.length).toBeGreaterThan(1000);
    expect(res.headers["content-type"]).toContain("text/event-stream");
    expect(res.headers["request-id"]).toBe(upstream?.headers["request-id"] ?? res.headers["request-id"]);
    expect(String(res.headers["request-id"])).toMatch(/^req_/);
    expect(res.headers["anthropic-ratelimit-requests-limit"]).toBe("4000");
  });

  it("passes a non-streaming answer through byte for byte and reports its usage, cache tokens included", async () => {
    const usage = { input_tokens: 11, output_tokens: 22, cache_creation_input_tokens: 33, cache_read_input_tokens: 44 };
    h.mock.enqueue({ kind: "message", usage, model: "claude-sonnet-4-5-20250929" });
    const res = await post(messagesBody());
    expect(res.status).toBe(200);
    expect(res.bytes.equals(h.mock.requests[0]?.responseBody ?? Buffer.alloc(0))).toBe(true);
    expect(JSON.parse(res.bytes.toString()).usage).toEqual(usage);
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
    expect(release?.outcome?.status).toBe(200);
    // A success reports only subscription windows; the mock's per-minute limits stay behind.
    expect(release?.outcome?.headers).toEqual({});
    expect(release?.usage).toMatchObject({
      model: "claude-sonnet-4-5-20250929",
      inputTokens: 11,
      outputTokens: 22,
      cacheCreationInputTokens: 33,
      cacheReadInputTokens: 44,
    });
  });

  it("reports the usage of a stream as the upstream counted it", async () => {
    const usage = { input_tokens: 7, output_tokens: 90, cache_creation_input_tokens: 5, cache_read_input_tokens: 1234 };
    h.mock.enqueue({ kind: "message", usage, chunking: "byte", events: 4 });
    const res = await post(messagesBody({ stream: true }));
    expect(res.status).toBe(200);
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
    expect(release?.usage).toMatchObject({ inputTokens: 7, outputTokens: 90, cacheCreationInputTokens: 5, cacheReadInputTokens: 1234 });
    expect(release?.ttfbMs).toBeGreaterThanOrEqual(0);
    expect(release?.latencyMs).toBeGreaterThanOrEqual(release?.ttfbMs ?? 0);
  });

  it("sends the account's key upstream and never the client's", async () => {
    await post(messagesBody(), { authorization: `Bearer ${CLIENT_KEY}`, cookie: "session=abc" });
    const seen = h.mock.requests[0]?.headers ?? {};
    expect(seen["x-api-key"]).toBe("sk-ant-account-one");
    expect(seen.authorization).toBeUndefined();
    expect(seen.cookie).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain(CLIENT_KEY);
  });

  it("forwards the body bytes, anthropic-version, anthropic-beta and the query string untouched", async () => {
    // Odd spacing, key order, unknown fields and non-ASCII text: any re-serialization would show.
    const body = `{ "messages":[{"role":"user","content":"héllo \\u00e9"}],\n  "model" : "claude-opus-4-1", "max_tokens":5,
      "context_management": {"edits": [1, 2.50, null]}, "stream": false, "zzz_unknown": {"nested": [true]} }`;
    const betas = "interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14";
    const res = await post(body, { "anthropic-version": "2023-06-01", "anthropic-beta": betas, "x-app": "cli" }, "/v1/messages?beta=true");
    expect(res.status).toBe(200);
    const seen = h.mock.requests[0];
    expect(seen?.path).toBe("/v1/messages?beta=true");
    expect(seen?.body.equals(Buffer.from(body))).toBe(true);
    expect(seen?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(seen?.headers["anthropic-beta"]).toBe(betas);
    expect(seen?.headers["x-app"]).toBe("cli");
    expect(seen?.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
  });

  it("asks the control plane with the key's hash, the model, the session and the client", async () => {
    const userId = JSON.stringify({ device_id: "d1", account_uuid: "", session_id: "3f2a0c4e-session" });
    await post(messagesBody({ metadata: { user_id: userId } }), { "user-agent": "claude-cli/2.1.0 (external, sdk-cli)" });
    const acquire = h.fake.acquires[0];
    expect(acquire?.keyHash).toBe(createHash("sha256").update(CLIENT_KEY).digest("hex"));
    expect(acquire?.model).toBe("claude-sonnet-4-5");
    expect(acquire?.sessionHash).toBe(createHash("sha256").update("3f2a0c4e-session").digest("hex"));
    expect(acquire?.userAgent).toBe("claude-cli/2.1.0 (external, sdk-cli)");
    expect(acquire?.requestId).toMatch(/^req_/);
    expect(acquire?.excludeAccounts).toEqual([]);
    expect(h.fake.tokens.every((token) => token === "internal-token-for-tests-0123456789")).toBe(true);
  });

  it("signs an OAuth account's request with its token and the OAuth beta, under the base URL's path", async () => {
    h.fake.enqueueAcquire({ lease: { account: { id: "acct-oauth", baseUrl: `${h.mock.url}/prefix/`, credentialKind: CredentialKind.OAUTH_TOKEN, credential: "oauth-access-token" } } });
    const res = await post(messagesBody({ stream: true }), { "anthropic-beta": "claude-code-20250219" }, "/v1/messages?beta=true");
    expect(res.status).toBe(200);
    const seen = h.mock.requests[0];
    expect(seen?.path).toBe("/prefix/v1/messages?beta=true");
    expect(seen?.headers.authorization).toBe("Bearer oauth-access-token");
    expect(seen?.headers["x-api-key"]).toBeUndefined();
    expect(seen?.headers["anthropic-beta"]).toBe("claude-code-20250219,oauth-2025-04-20");
  });

  it("logs one line per request with its status, model, account and usage", async () => {
    const before = h.logs.length;
    await post(messagesBody());
    await h.fake.waitForReleases(1);
    const lines = h.logs.slice(before).filter((line) => line.msg === "request");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, status: 200, model: "claude-sonnet-4-5", accountId: "acct-1", method: "POST", path: "/v1/messages" });
    expect(typeof lines[0]?.latencyMs).toBe("number");
    expect(JSON.stringify(h.logs)).not.toContain(CLIENT_KEY);
    expect(JSON.stringify(h.logs)).not.toContain("sk-ant-account-one");
  });
});

describe("the official Anthropic SDK through the relay", () => {
  it("gets a streamed and a plain answer with their usage", async () => {
    const client = new Anthropic({ baseURL: h.url, apiKey: CLIENT_KEY, maxRetries: 0 });
    h.mock.enqueue({ kind: "message", text: "streamed hello", events: 5 }, { kind: "message", text: "plain hello" });
    const stream = client.messages.stream({ model: "claude-test-model", max_tokens: 32, messages: [{ role: "user", content: "hi" }] });
    const streamed = await stream.finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: "text", text: "streamed hello" });
    const plain = await client.messages.create({ model: "claude-test-model", max_tokens: 32, messages: [{ role: "user", content: "hi" }] });
    expect(plain.content[0]).toMatchObject({ type: "text", text: "plain hello" });
    expect(plain.usage.output_tokens).toBeGreaterThan(0);
    const seen = h.mock.requests.map((r) => r.headers["x-api-key"]);
    expect(seen).toEqual(["sk-ant-account-one", "sk-ant-account-one"]);
  });
});

import { AccountSignal, OutcomeKind } from "@claude-relay/proto/lease";
import { DEFAULT_MOCK_OPENAI_TEXT, type MockOpenAI } from "@claude-relay/testkit";
import OpenAI from "openai";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { continuationHash } from "../../http/read-body.js";
import { type RelayHarness, startRelayHarness } from "../../relay-harness.test-helper.js";
import { codexTurnBody, openAiApiAccount, openAiCodexAccount } from "./openai-accounts.test-helper.js";

const CLIENT_KEY = "cr_responses-client-key-0002";

let h: RelayHarness;
let mock: MockOpenAI;
let accessToken = "";

const post = (body: string, signal?: AbortSignal) =>
  request(`${h.url}/backend-api/codex/responses`, { method: "POST", body, headers: { authorization: `Bearer ${CLIENT_KEY}` }, dispatcher: h.client, signal });

beforeAll(async () => {
  h = await startRelayHarness({
    openai: true,
    env: { RELAY_CLIENT_PING_INTERVAL_MS: "50" },
    accounts: (_url, _gemini, openai) => {
      accessToken = openai?.issueAccessToken() ?? "";
      return openai ? [openAiCodexAccount(openai, accessToken), openAiApiAccount(openai)] : [];
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

describe("Responses on OpenAI accounts, when things go wrong", () => {
  it("fails a Codex usage limit over to another account and reports when the first comes back", async () => {
    h.fake.enqueueAcquire({ lease: { account: openAiCodexAccount(mock, accessToken) } }, { lease: { account: openAiApiAccount(mock) } });
    mock.enqueue({ kind: "usage_limit", resetsInSeconds: 120, planType: "plus" });
    const res = await post(codexTurnBody());
    const bytes = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(200);
    expect(mock.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(bytes.equals(mock.requests[1]?.responseBody ?? Buffer.alloc(0))).toBe(true);
    expect(h.fake.acquires[1]?.excludeAccounts).toEqual(["openai-codex"]);
    const [limited, served] = await h.fake.waitForReleases(2);
    expect(limited?.outcome).toMatchObject({ kind: OutcomeKind.UPSTREAM_ERROR, status: 429, signal: AccountSignal.RATE_LIMITED, detail: "usage limit reached (plus plan)" });
    expect(limited?.outcome?.headers).toMatchObject({ "retry-after": "120", "x-codex-primary-used-percent": "100" });
    expect(served?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
  });

  it("reports a deactivated workspace as banned, and serves the request elsewhere", async () => {
    const account = mock.accounts[0];
    if (account === undefined) throw new Error("the mock has no ChatGPT account");
    account.deactivated = true;
    try {
      h.fake.enqueueAcquire({ lease: { account: openAiCodexAccount(mock, accessToken) } }, { lease: { account: openAiApiAccount(mock) } });
      const res = await post(codexTurnBody());
      await res.body.dump();
      expect(res.statusCode).toBe(200);
      const [banned] = await h.fake.waitForReleases(2);
      expect(banned?.outcome).toMatchObject({ status: 402, signal: AccountSignal.BANNED, detail: "account deactivated (deactivated_workspace)" });
    } finally {
      account.deactivated = false;
    }
  });

  it("ends a stream the upstream broke with Responses' failure events", async () => {
    h.fake.enqueueAcquire({ lease: { account: openAiCodexAccount(mock, accessToken) } });
    mock.enqueue({ kind: "disconnect", afterEvents: 3 });
    const res = await post(codexTurnBody());
    // Keep-alives may fall anywhere between events; they are the relay's, not the upstream's.
    const text = (await res.body.text()).replaceAll(": ping\n\n", "");
    const upstream = mock.requests[0]?.responseBody.toString("utf8") ?? "";
    expect(text.startsWith(upstream)).toBe(true);
    const tail = text.slice(upstream.length);
    expect(tail).toMatch(/^event: error\ndata: \{"type":"error","code":"server_error",.*\n\nevent: response\.failed\ndata: \{"type":"response\.failed","response":\{.*"status":"failed","error":\{"code":"server_error"/s);
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.STREAM_INTERRUPTED);
  });

  it("reports what a stream cut short by its client had read, with the response it opened", async () => {
    h.fake.enqueueAcquire({ lease: { account: openAiCodexAccount(mock, accessToken) } });
    // Every event, response.completed included, then silence until the client leaves.
    mock.enqueue({ kind: "stall", afterEvents: 100 });
    const abort = new AbortController();
    const res = await post(codexTurnBody(), abort.signal);
    let text = "";
    for await (const chunk of res.body) {
      text += (chunk as Buffer).toString("utf8");
      if (text.includes("event: response.completed")) break;
    }
    abort.abort();
    const id = /"id":"(resp_[0-9a-f]+)"/.exec(text)?.[1] ?? "";
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.CLIENT_ABORTED);
    expect(release?.usage?.outputTokens).toBeGreaterThan(0);
    expect(release?.usage?.model).toBe("gpt-5-codex");
    expect(release?.continuationHashes).toEqual([continuationHash(id)]);
  });

  it("keeps a quiet stream alive with comment lines between events", async () => {
    h.fake.enqueueAcquire({ lease: { account: openAiCodexAccount(mock, accessToken) } });
    mock.enqueue({ kind: "stall", afterEvents: 2 });
    const abort = new AbortController();
    const res = await post(codexTurnBody(), abort.signal);
    let text = "";
    for await (const chunk of res.body) {
      text += (chunk as Buffer).toString("utf8");
      if (text.includes(": ping\n\n")) break;
    }
    abort.abort();
    expect(text).toMatch(/event: response\.in_progress\ndata: [^\n]*\n\n(: ping\n\n)+$/);
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.usage?.outputTokens).toBe(0);
    expect(release?.continuationHashes).toHaveLength(1);
  });
});

describe("the openai SDK against the Responses front door", () => {
  it("creates a response, streamed and not", async () => {
    const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${h.url}/openai/v1`, maxRetries: 0 });
    h.fake.enqueueAcquire({ lease: { account: openAiApiAccount(mock) } }, { lease: { account: openAiApiAccount(mock) } });
    const response = await client.responses.create({ model: "gpt-5", input: "hi" });
    expect(response.output_text).toBe(DEFAULT_MOCK_OPENAI_TEXT);
    const stream = await client.responses.create({ model: "gpt-5", input: "hi", stream: true, previous_response_id: response.id });
    let text = "";
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === "response.output_text.delta") text += event.delta;
      if (event.type === "response.completed") completed = event.response;
    }
    expect(text).toBe(DEFAULT_MOCK_OPENAI_TEXT);
    expect(completed?.usage?.output_tokens).toBeGreaterThan(0);
    const releases = await h.fake.waitForReleases(2);
    expect(h.fake.acquires[1]?.sessionHash).toBe(releases[0]?.continuationHashes[0]);
  });

  it("raises the relay's refusals as the SDK's error classes", async () => {
    const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${h.url}/openai/v1`, maxRetries: 0 });
    const missing = await client.responses.create({ model: "" as string, input: "hi" }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.BadRequestError);
    expect((missing as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("model");
  });
});

import { CredentialKind, OutcomeKind, Platform, RefusalReason, UpstreamAccountType } from "@claude-relay/proto/lease";
import { DEFAULT_MOCK_GEMINI_API_KEY } from "@claude-relay/testkit";
import OpenAI from "openai";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RelayHarness, startRelayHarness } from "../../relay-harness.test-helper.js";

const CLIENT_KEY = "cr_openai-client-key-0001";

let h: RelayHarness;
let client: OpenAI;

const claude = (url: string) => ({ id: "claude-1", baseUrl: url, credential: "sk-ant-account-one" });
const gemini = (url: string) => ({ id: "gemini-1", baseUrl: url, type: UpstreamAccountType.GEMINI_API, credentialKind: CredentialKind.GOOGLE_API_KEY, credential: DEFAULT_MOCK_GEMINI_API_KEY });

beforeAll(async () => {
  h = await startRelayHarness({ gemini: true, accounts: (mockUrl, g) => [claude(mockUrl), gemini(g?.url ?? "")] });
  client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${h.url}/openai/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await h?.close();
});

beforeEach(async () => {
  await h.fake.waitForAllReleased();
  h.mock.requests.length = 0;
  if (h.gemini) h.gemini.requests.length = 0;
  h.fake.acquires.length = 0;
  h.fake.releases.length = 0;
  h.fake.listModelsCalls.length = 0;
});

describe("the OpenAI-compatible front door", () => {
  it("answers a chat completion from a Claude account, translated both ways", async () => {
    h.fake.enqueueAcquire({ lease: { account: claude(h.mock.url) } });
    h.mock.enqueue({ kind: "message", text: "Grüße, 世界" });
    const completion = await client.chat.completions.create({ model: "claude-sonnet-4-5", messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }] });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("claude-sonnet-4-5");
    expect(completion.choices[0]?.message.content).toBe("Grüße, 世界");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
    const upstream = JSON.parse(h.mock.requests[0]?.body.toString() ?? "{}") as { system?: unknown; max_tokens?: number; messages: unknown[] };
    expect(upstream.system).toBeDefined();
    expect(upstream.max_tokens).toBeGreaterThan(0);
    expect(h.mock.requests[0]?.headers["x-api-key"]).toBe("sk-ant-account-one");
    expect(JSON.stringify(h.mock.requests[0]?.headers)).not.toContain(CLIENT_KEY);
    expect(h.fake.acquires[0]).toMatchObject({ model: "claude-sonnet-4-5", platform: Platform.CLAUDE });
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
    expect(release?.usage?.outputTokens).toBeGreaterThan(0);
  });

  it("streams a Gemini account's answer as chunks, with usage when asked, ending with [DONE]", async () => {
    h.fake.enqueueAcquire({ lease: { account: gemini(h.gemini?.url ?? "") } });
    h.gemini?.enqueue({ kind: "text", text: "Hallo aus Gemini", chunks: 4, chunking: "random" });
    const stream = await client.chat.completions.create({ model: "gemini-2.5-pro", messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe("Hallo aus Gemini");
    expect(finish).toBe("stop");
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(h.gemini?.requests[0]?.path).toBe("/v1beta/models/gemini-2.5-pro:streamGenerateContent");
    expect(h.fake.acquires[0]?.platform).toBe(Platform.GEMINI);
  });

  it("refuses what the target cannot honour, naming the parameter, before taking a slot", async () => {
    const refused = client.chat.completions.create({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hi" }], n: 2 });
    await expect(refused).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(refused).rejects.toMatchObject({ status: 400, param: "n" });
    expect(h.fake.acquires).toHaveLength(0);
  });

  it("raises our refusals as the SDK's error classes", async () => {
    h.fake.enqueueAcquire({ refusal: { reason: RefusalReason.KEY_INVALID } });
    await expect(client.chat.completions.create({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    h.fake.enqueueAcquire({ refusal: { reason: RefusalReason.KEY_LIMIT, retryAfterMs: 3_000 } });
    const limited = await client.chat.completions.create({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as InstanceType<typeof OpenAI.RateLimitError>).headers?.get("retry-after")).toBe("3");
  });

  it("routes an alias through the key's model listing, and says an unknown model does not exist", async () => {
    h.fake.answerListModels({ models: [{ id: "gpt-4o", platform: Platform.CLAUDE, upstreamModel: "claude-sonnet-4-5" }] });
    h.fake.enqueueAcquire({ lease: { account: claude(h.mock.url) } });
    const completion = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    // As OpenAI names the snapshot that answered, the answer names the model the upstream says it is.
    expect(completion.model).toBe("claude-sonnet-4-5");
    expect(JSON.parse(h.mock.requests[0]?.body.toString() ?? "{}")).toMatchObject({ model: "claude-sonnet-4-5" });
    expect(h.fake.acquires[0]?.model).toBe("claude-sonnet-4-5");
    const missing = await client.chat.completions.create({ model: "mistral-unknown", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as { code?: string }).code).toBe("model_not_found");
    const listed = await client.models.list();
    expect(listed.data.map((m) => m.id)).toEqual(["gpt-4o"]);
  });

  it("answers an upstream error in OpenAI's shape with the upstream's status", async () => {
    h.fake.enqueueAcquire({ lease: { account: claude(h.mock.url) } });
    h.mock.enqueue({ kind: "error", status: 400, message: "messages: bad" });
    const failed = await client.chat.completions.create({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failed as Error).message).toContain("messages: bad");
  });

  it("ends a stream that fails upstream with an error the SDK raises", async () => {
    h.fake.enqueueAcquire({ lease: { account: claude(h.mock.url) } });
    h.mock.enqueue({ kind: "stream-error", afterEvents: 3, type: "overloaded_error", message: "Overloaded" });
    const stream = await client.chat.completions.create({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hi" }], stream: true });
    let text = "";
    const read = (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    })();
    await expect(read).rejects.toBeInstanceOf(OpenAI.APIError);
    await expect(read).rejects.toThrow(/Overloaded/);
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.STREAM_INTERRUPTED);
    expect(release?.frontDoor).toBe("openai-chat");
  });

  it("answers a bad key and an unknown path under /openai in OpenAI's shape", async () => {
    const res = await request(`${h.url}/openai/v1/embeddings`, { method: "POST", body: "{}", dispatcher: h.client });
    expect(res.statusCode).toBe(404);
    expect(await res.body.json()).toMatchObject({ error: { type: "invalid_request_error" } });
    const bare = await request(`${h.url}/v1/chat/completions`, { method: "POST", body: "{}", dispatcher: h.client });
    expect(bare.statusCode).toBe(401);
    expect(await bare.body.json()).toMatchObject({ error: { code: "invalid_api_key" } });
  });
});

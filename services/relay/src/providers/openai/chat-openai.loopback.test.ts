import { OutcomeKind, Platform, UpstreamAccountType } from "@claude-relay/proto/lease";
import { DEFAULT_MOCK_OPENAI_API_KEY, DEFAULT_MOCK_OPENAI_TEXT, type MockOpenAI } from "@claude-relay/testkit";
import OpenAI from "openai";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RelayHarness, startRelayHarness } from "../../relay-harness.test-helper.js";
import { openAiApiAccount } from "../openai-responses/openai-accounts.test-helper.js";

const CLIENT_KEY = "cr_chat-openai-client-key-0001";

let h: RelayHarness;
let mock: MockOpenAI;

const post = (body: Record<string, unknown>, key = CLIENT_KEY) =>
  request(`${h.url}/openai/v1/chat/completions`, { method: "POST", body: JSON.stringify(body), headers: { authorization: `Bearer ${key}` }, dispatcher: h.client });

/** The chunk stream a client that did not ask for usage gets from OpenAI: no usage chunk, no `usage` member. */
function withoutUsage(stream: string): string {
  return stream
    .split("\n\n")
    .filter((event) => event !== "")
    .flatMap((event) => {
      if (event === "data: [DONE]") return [event];
      const chunk = JSON.parse(event.slice("data: ".length)) as { choices: unknown[]; usage?: unknown };
      if (chunk.choices.length === 0) return [];
      delete chunk.usage;
      return [`data: ${JSON.stringify(chunk)}`];
    })
    .map((event) => `${event}\n\n`)
    .join("");
}

beforeAll(async () => {
  h = await startRelayHarness({ openai: true, accounts: (_url, _gemini, openai) => (openai ? [openAiApiAccount(openai)] : []) });
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

describe("chat completions on an OpenAI API key", () => {
  it("passes a stream that asked for usage byte for byte, untranslated", async () => {
    mock.enqueue({ kind: "text", chunking: "byte" });
    const body = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true }, n: 1 };
    const res = await post(body);
    const bytes = Buffer.from(await res.body.arrayBuffer());
    const [upstream] = mock.requests;
    expect(res.statusCode).toBe(200);
    expect(bytes.equals(upstream?.responseBody ?? Buffer.alloc(0))).toBe(true);
    expect(upstream?.path).toBe("/v1/chat/completions");
    expect(upstream?.body.toString("utf8")).toBe(JSON.stringify(body));
    expect(upstream?.headers.authorization).toBe(`Bearer ${DEFAULT_MOCK_OPENAI_API_KEY}`);
    expect(h.fake.acquires[0]).toMatchObject({ platform: Platform.OPENAI, model: "gpt-4o-mini", accountTypes: [UpstreamAccountType.OPENAI_API] });
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
    expect(release?.frontDoor).toBe("openai-chat");
    expect(release?.usage?.outputTokens).toBeGreaterThan(0);
    expect(release?.continuationHashes).toEqual([]);
  });

  it("counts a stream whose client did not ask for usage, and gives the client the stream it would have had", async () => {
    const res = await post({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true });
    const text = await res.body.text();
    const [upstream] = mock.requests;
    expect((upstream?.json as { stream_options?: unknown }).stream_options).toEqual({ include_usage: true });
    expect(text).toBe(withoutUsage(upstream?.responseBody.toString("utf8") ?? ""));
    expect(text).not.toContain('"usage"');
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.usage?.outputTokens).toBeGreaterThan(0);
    expect(release?.usage?.inputTokens).toBeGreaterThan(0);
  });

  it("passes a JSON answer byte for byte", async () => {
    const res = await post({ model: "o4-mini", messages: [{ role: "user", content: "hi" }] });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(200);
    expect(bytes.equals(mock.requests[0]?.responseBody ?? Buffer.alloc(0))).toBe(true);
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.usage?.model).toBe("o4-mini");
  });

  it("sends an admin's alias for an OpenAI model as the model it stands for", async () => {
    h.fake.answerListModels({ models: [{ id: "team-fast", platform: Platform.OPENAI, upstreamModel: "gpt-4o-mini" }] });
    const res = await post({ model: "team-fast", messages: [{ role: "user", content: "hi" }] }, "cr_chat-openai-alias-key");
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    expect(mock.requests[0]?.json).toMatchObject({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    expect(h.fake.acquires[0]?.model).toBe("gpt-4o-mini");
    h.fake.answerListModels({ models: [] });
  });

  it("serves the openai SDK's streamed chat completion", async () => {
    const client = new OpenAI({ apiKey: CLIENT_KEY, baseURL: `${h.url}/openai/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "gpt-4.1", messages: [{ role: "user", content: "hi" }], stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe(DEFAULT_MOCK_OPENAI_TEXT);
  });
});

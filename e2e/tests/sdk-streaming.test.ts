import Anthropic from "@anthropic-ai/sdk";
import AnthropicV0 from "anthropic-sdk-v0";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "./support/stack.js";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

/** The text and usage the mock upstream sent in its most recent stream. */
function upstreamStream() {
  const last = stack.mock.requests.at(-1);
  if (!last) throw new Error("the upstream saw no request");
  const text = last.responseBody.toString("utf8");
  const deltas = [...text.matchAll(/"text_delta","text":("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1] as string) as string);
  return { request: last, text: deltas.join(""), raw: text };
}

function expectUpstreamNeverSawClientKey() {
  for (const request of stack.mock.requests) {
    const headers = JSON.stringify(request.headers);
    expect(headers).not.toContain(stack.clientKey);
    expect(request.headers["x-api-key"]).toBe(stack.upstreamKey);
  }
}

describe.each([
  ["@anthropic-ai/sdk 1.x (Authorization: Bearer)", () => new Anthropic({ apiKey: stack.clientKey, baseURL: stack.relayUrl, maxRetries: 0 })],
  ["@anthropic-ai/sdk 0.x (x-api-key)", () => new AnthropicV0({ apiKey: stack.clientKey, baseURL: stack.relayUrl, maxRetries: 0 })],
])("%s through the relay", (_name, makeClient) => {
  it("streams the upstream's text and usage", async () => {
    const client = makeClient();
    const stream = client.messages.stream({
      model: "claude-sonnet-4-6",
      max_tokens: 64,
      messages: [{ role: "user", content: "say hi" }],
    });
    let streamed = "";
    stream.on("text", (delta: string) => {
      streamed += delta;
    });
    const message = await stream.finalMessage();
    const upstream = upstreamStream();
    expect(streamed.length).toBeGreaterThan(0);
    expect(streamed).toBe(upstream.text);
    const start = JSON.parse(/event: message_start\ndata: (.*)\n/.exec(upstream.raw)?.[1] ?? "{}");
    const delta = JSON.parse(/event: message_delta\ndata: (.*)\n/.exec(upstream.raw)?.[1] ?? "{}");
    expect(message.usage.input_tokens).toBe(start.message.usage.input_tokens);
    expect(message.usage.output_tokens).toBe(delta.usage.output_tokens);
    expectUpstreamNeverSawClientKey();
  });

  it("returns a non-streaming message unchanged", async () => {
    const client = makeClient();
    const message = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 64,
      messages: [{ role: "user", content: "say hi" }],
    });
    const upstream = JSON.parse(stack.mock.requests.at(-1)?.responseBody.toString("utf8") ?? "{}");
    expect(message).toEqual(upstream);
    expectUpstreamNeverSawClientKey();
  });

  it("raises an authentication error for a wrong key", async () => {
    const Client = makeClient().constructor as typeof Anthropic;
    const client = new Client({ apiKey: "cr_wrong", baseURL: stack.relayUrl, maxRetries: 0 });
    const error = await client.messages
      .create({ model: "claude-sonnet-4-6", max_tokens: 8, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401 });
    expect((error as { error: { error: { type: string } } }).error.error.type).toBe("authentication_error");
  });
});

describe("the wire through the relay", () => {
  it("delivers exactly the bytes the upstream sent", async () => {
    const res = await fetch(`${stack.relayUrl}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "x-api-key": stack.clientKey, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 64, stream: true, messages: [{ role: "user", content: "héllo 世界" }] }),
    });
    const received = Buffer.from(await res.arrayBuffer());
    const upstream = stack.mock.requests.at(-1);
    expect(res.status).toBe(200);
    expect(upstream?.path).toBe("/v1/messages?beta=true");
    expect(received.equals(upstream?.responseBody ?? Buffer.alloc(0))).toBe(true);
    expect(res.headers.get("request-id")).toMatch(/^req_mock/);
    expectUpstreamNeverSawClientKey();
  });
});

/**
 * The openai SDK (v6) on the relay's OpenAI-compatible front door (`/openai/v1`), through the built
 * relay and control plane, each case once on a Claude account (mock Anthropic API) and once on a
 * Gemini account (mock Gemini API): plain and streamed completions (usage chunk only when asked),
 * thinking as reasoning_content, an image as a data: URL, JSON answers to a json_schema, our refusals as the SDK's error classes,
 * and usage and cost recorded exactly as for the platform's own API.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueue, expectAccepted, keyUsage, type OpenAiStack, startOpenAiStack, type Target } from "./support/openai-stack.js";

let stack: OpenAiStack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startOpenAiStack();
  client = stack.openai((await stack.createKey("openai-chat")).key);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

/** A 1×1 PNG. */
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

/** Fixed token counts, the same on both platforms: 1,000 prompt tokens of which 300 cached, 250 completion tokens. */
const USAGE = {
  claude: { input_tokens: 700, cache_read_input_tokens: 300, cache_creation_input_tokens: 0, output_tokens: 250 },
  gemini: { promptTokenCount: 1000, cachedContentTokenCount: 300, candidatesTokenCount: 250, thoughtsTokenCount: 0 },
};

const targets = (): Target[] => [stack.claude, stack.gemini];

describe.each(["claude", "gemini"] as const)("the openai SDK on a %s account", (platform) => {
  const target = () => (platform === "claude" ? stack.claude : stack.gemini);
  const text = `Grüße von ${platform} — 世界 ✅`;

  it("answers a plain completion with the upstream's text, finish reason and usage", async () => {
    const from = target().mark();
    enqueue(stack, target(), { claude: { kind: "message", text }, gemini: { kind: "text", text } });
    const completion = await client.chat.completions.create({ model: target().model, messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say hello." }] });
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]?.message).toMatchObject({ role: "assistant", content: text });
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0));
    const [call, ...more] = target().callsSince(from);
    expect(more).toHaveLength(0);
    expectAccepted(target(), call);
    if (platform === "claude") expect(call?.body.system).toBe("Be brief.");
    else expect(call?.body.systemInstruction).toEqual({ parts: [{ text: "Be brief." }] });
  });

  it.each([true, false])("streams a completion whose usage chunk comes only when asked (include_usage: %s)", async (includeUsage) => {
    enqueue(stack, target(), { claude: { kind: "message", text, events: 5, usage: USAGE.claude }, gemini: { kind: "text", text, chunks: 5, usage: USAGE.gemini } });
    const stream = await client.chat.completions.create({
      model: target().model,
      messages: [{ role: "user", content: "Say hello." }],
      stream: true,
      ...(includeUsage && { stream_options: { include_usage: true } }),
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe(text);
    expect(chunks.filter((chunk) => chunk.choices.length > 0).length).toBeGreaterThanOrEqual(4);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason)).filter(Boolean)).toEqual(["stop"]);
    const withUsage = chunks.filter((chunk) => chunk.usage);
    if (!includeUsage) {
      expect(withUsage).toHaveLength(0);
      expect(chunks.every((chunk) => !("usage" in chunk))).toBe(true);
      return;
    }
    expect(withUsage).toHaveLength(1);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 250, total_tokens: 1250, prompt_tokens_details: { cached_tokens: 300 } });
  });

  it("streams the model's thinking as reasoning_content when reasoning_effort asks for it", async () => {
    const from = target().mark();
    const thoughts = "The user greets me; a short greeting back will do.";
    enqueue(stack, target(), { claude: { kind: "message", text, thinking: thoughts }, gemini: { kind: "text", text, thoughts } });
    const stream = await client.chat.completions.create({ model: target().model, messages: [{ role: "user", content: "Say hello." }], reasoning_effort: "low", max_completion_tokens: 500, stream: true });
    let reasoning = "";
    let content = "";
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string | null; reasoning_content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? "";
      content += delta?.content ?? "";
    }
    expect(reasoning).toBe(thoughts);
    expect(content).toBe(text);
    const [call] = target().callsSince(from);
    expectAccepted(target(), call);
    if (platform === "claude") expect(call?.body.thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
    else expect((call?.body.generationConfig as Record<string, unknown>).thinkingConfig).toEqual({ thinkingBudget: 2048, includeThoughts: true });
  });

  it("passes an image given as a data: URL to the upstream as inline image bytes", async () => {
    const from = target().mark();
    enqueue(stack, target(), { claude: { kind: "message", text: "A single pixel." }, gemini: { kind: "text", text: "A single pixel." } });
    const completion = await client.chat.completions.create({
      model: target().model,
      messages: [{ role: "user", content: [{ type: "text", text: "What is in this image?" }, { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } }] }],
    });
    expect(completion.choices[0]?.message.content).toBe("A single pixel.");
    const [call] = target().callsSince(from);
    expectAccepted(target(), call);
    const parts = JSON.stringify(call?.body);
    if (platform === "claude") expect(parts).toContain(JSON.stringify({ type: "image", source: { type: "base64", media_type: "image/png", data: PNG } }));
    else expect(parts).toContain(JSON.stringify({ inlineData: { mimeType: "image/png", data: PNG } }));
  });

  it("answers response_format json_schema with JSON that fits the schema", async () => {
    const from = target().mark();
    const schema = {
      type: "object",
      properties: { city: { type: "string", minLength: 2 }, temperature_c: { type: "number", minimum: -60 }, conditions: { type: "string", enum: ["sunny", "cloudy", "rain"] }, tags: { type: "array", items: { type: "string" } } },
      required: ["city", "temperature_c", "conditions", "tags"],
      additionalProperties: false,
    };
    const completion = await client.chat.completions.create({
      model: target().model,
      messages: [{ role: "user", content: "Weather in Oslo as JSON." }],
      response_format: { type: "json_schema", json_schema: { name: "weather", strict: true, schema } },
    });
    const content = completion.choices[0]?.message.content ?? "";
    const answer = JSON.parse(content) as Record<string, unknown>;
    expect(Object.keys(answer).sort()).toEqual(["city", "conditions", "tags", "temperature_c"]);
    expect(typeof answer.city === "string" && answer.city.length >= 2).toBe(true);
    expect(typeof answer.temperature_c === "number" && answer.temperature_c >= -60).toBe(true);
    expect(["sunny", "cloudy", "rain"]).toContain(answer.conditions);
    expect(Array.isArray(answer.tags) && answer.tags.every((tag) => typeof tag === "string")).toBe(true);
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.choices[0]?.message.tool_calls ?? []).toHaveLength(0);
    const [call] = target().callsSince(from);
    expectAccepted(target(), call);
  });

  it("raises AuthenticationError for a key the relay does not know, without calling the upstream", async () => {
    const from = target().mark();
    const error = await stack.openai("cr_not-a-key-000000000000000000000000000000000").chat.completions.create({ model: target().model, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401);
    expect(target().callsSince(from)).toHaveLength(0);
  });

  it("raises RateLimitError with retry-after for a key over its request limit", async () => {
    const limited = stack.openai((await stack.createKey(`limited-${platform}`, { rateLimit: { windowSeconds: 60, maxRequests: 1 } })).key);
    const ask = () => limited.chat.completions.create({ model: target().model, messages: [{ role: "user", content: "hi" }] });
    await ask();
    const from = target().mark();
    const error = await ask().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const retryAfter = Number((error as InstanceType<typeof OpenAI.RateLimitError>).headers?.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(target().callsSince(from)).toHaveLength(0);
  });
});

describe("usage and cost of OpenAI-compatible requests", () => {
  it.each(["claude", "gemini"] as const)("are recorded on a %s account exactly as for the same answers through the platform's own API", async (platform) => {
    const target = targets().find((t) => t.platform === platform) as Target;
    const viaOpenAi = await stack.createKey(`usage-openai-${platform}`);
    const native = await stack.createKey(`usage-native-${platform}`);
    enqueue(stack, target, { claude: { kind: "message", usage: USAGE.claude }, gemini: { kind: "text", usage: USAGE.gemini } }, 4);
    const openai = stack.openai(viaOpenAi.key);
    await openai.chat.completions.create({ model: target.model, messages: [{ role: "user", content: "hi" }] });
    for await (const _ of await openai.chat.completions.create({ model: target.model, messages: [{ role: "user", content: "hi" }], stream: true })) {
      // drained
    }
    for (const stream of [false, true]) {
      const res =
        platform === "claude"
          ? await fetch(`${stack.relayUrl}/v1/messages`, {
              method: "POST",
              headers: { "x-api-key": native.key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
              body: JSON.stringify({ model: target.model, max_tokens: 64, stream, messages: [{ role: "user", content: "hi" }] }),
            })
          : await fetch(`${stack.relayUrl}/v1beta/models/${target.model}:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`, {
              method: "POST",
              headers: { "x-goog-api-key": native.key, "content-type": "application/json" },
              body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
            });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const [ours, theirs] = await Promise.all([keyUsage(stack, viaOpenAi.id, 2), keyUsage(stack, native.id, 2)]);
    expect(ours.requests).toBe(2n);
    expect(ours.unpricedRequests).toBe(0n);
    expect(ours.costUsd).toBeGreaterThan(0);
    // 700 uncached input tokens, 300 cache reads and 250 output tokens a request, as the upstream reported them.
    expect(ours).toMatchObject({ inputTokens: 1400n, cacheReadInputTokens: 600n, cacheCreationInputTokens: 0n, outputTokens: 500n });
    expect(ours).toEqual(theirs);
  });
});

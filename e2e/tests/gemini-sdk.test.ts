/**
 * @google/genai through the built relay and control plane, with the relay's root as the SDK's base
 * URL: generateContent, generateContentStream and countTokens, each served once by a Gemini
 * API-key account (bytes passed through) and once by a Google sign-in account (the Code Assist
 * envelope put on and taken off by the relay). What the SDK reads must be what the mock answered,
 * and the mock must see the account's credential only.
 */
import { ApiError, GoogleGenAI } from "@google/genai";
import type { Account } from "@claude-relay/proto/admin";
import { DEFAULT_MOCK_GOOGLE_ACCOUNT, type RecordedGeminiRequest } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createClientKey,
  createGeminiApiAccount,
  createGeminiOAuthAccount,
  GEMINI_ACCOUNT_API_KEY,
  type GeminiStack,
  gemini25ProCost,
  keyUsageToday,
  pollUntil,
  startGeminiStack,
  tokensOfAnswer,
} from "./support/gemini-stack.js";

const MODEL = "gemini-2.5-pro";

let stack: GeminiStack;
const served: Record<"api" | "oauth", { account?: Account; key: string; keyId: string }> = { api: { key: "", keyId: "" }, oauth: { key: "", keyId: "" } };

beforeAll(async () => {
  stack = await startGeminiStack();
  served.api.account = await createGeminiApiAccount(stack, "gemini-api-key");
  served.oauth.account = await createGeminiOAuthAccount(stack, "gemini-google-sign-in");
  for (const kind of ["api", "oauth"] as const) {
    const { id, key } = await createClientKey(stack, `sdk-${kind}`, served[kind].account?.id);
    Object.assign(served[kind], { key, keyId: id });
  }
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

/** The one upstream request made since `from`. */
function onlyRequestSince(from: number): RecordedGeminiRequest {
  const seen = stack.mock.requests.slice(from);
  expect(seen).toHaveLength(1);
  return seen[0] as RecordedGeminiRequest;
}

/** The upstream's answer objects (Code Assist's envelope taken off), from JSON, a JSON array or SSE. */
function upstreamObjects(request: RecordedGeminiRequest): Record<string, unknown>[] {
  const text = request.responseBody.toString("utf8");
  const values: unknown[] = /^data:/m.test(text)
    ? text
        .split(/\r\n|\r|\n/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => JSON.parse(line.slice(5)))
    : [JSON.parse(text)].flat();
  return values.map((value) => ((value as { response?: Record<string, unknown> }).response ?? value) as Record<string, unknown>);
}

function expectCredential(request: RecordedGeminiRequest, kind: "api" | "oauth", clientKey: string): void {
  expect(JSON.stringify(request.headers)).not.toContain(clientKey);
  expect(request.url).not.toContain(clientKey);
  if (kind === "api") {
    expect(request.api).toBe("gemini");
    expect(request.headers["x-goog-api-key"]).toBe(GEMINI_ACCOUNT_API_KEY);
  } else {
    expect(request.api).toBe("code-assist");
    expect(request.headers.authorization).toBe(`Bearer ${DEFAULT_MOCK_GOOGLE_ACCOUNT.accessToken}`);
  }
}

describe.each(["api", "oauth"] as const)("@google/genai through the relay, on a %s account", (kind) => {
  const client = () => new GoogleGenAI({ apiKey: served[kind].key, httpOptions: { baseUrl: stack.relayUrl } });

  it("generateContent returns the upstream's answer, text and usage", async () => {
    const from = stack.mock.requests.length;
    stack.mock.enqueue({ kind: "text", text: `Grüße über ${kind} — 世界 ✅` });
    const response = await client().models.generateContent({ model: MODEL, contents: "say hi", config: { temperature: 0.1 } });
    const upstream = onlyRequestSince(from);
    expectCredential(upstream, kind, served[kind].key);
    expect(upstream.operation).toBe("generateContent");
    if (kind === "oauth") expect(upstream.json).toMatchObject({ model: MODEL, project: DEFAULT_MOCK_GOOGLE_ACCOUNT.projectId, request: { generationConfig: { temperature: 0.1 } } });
    else expect(upstream.json).toMatchObject({ generationConfig: { temperature: 0.1 } });
    const [answer] = upstreamObjects(upstream);
    expect(response.text).toBe(`Grüße über ${kind} — 世界 ✅`);
    expect(response.responseId).toBe(answer?.responseId);
    expect(response.usageMetadata).toEqual(answer?.usageMetadata);
    expect(response.usageMetadata?.promptTokenCount).toBeGreaterThan(0);

    // The key's first request: its usage is this answer's.
    const tokens = tokensOfAnswer(upstream.responseBody);
    const usage = await pollUntil(() => keyUsageToday(stack, served[kind].keyId), (u) => u.requests > 0n);
    expect(usage.requests).toBe(1n);
    expect(usage.inputTokens).toBe(BigInt(tokens.input));
    expect(usage.outputTokens).toBe(BigInt(tokens.output));
    expect(usage.costUsd).toBeCloseTo(gemini25ProCost(tokens), 9);
    expect(usage.costUsd).toBeGreaterThan(0);
  });

  it("generateContentStream yields every chunk the upstream sent, thoughts marked, and the final usage", async () => {
    const from = stack.mock.requests.length;
    stack.mock.enqueue({ kind: "text", text: "añb 🎉 c — a streamed answer", thoughts: "Planning.", chunks: 4, chunking: "random" });
    const stream = await client().models.generateContentStream({ model: MODEL, contents: "stream please", config: { thinkingConfig: { includeThoughts: true } } });
    let text = "";
    let thoughts = "";
    let chunks = 0;
    let usage: unknown;
    for await (const chunk of stream) {
      chunks++;
      for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
        if (part.thought) thoughts += part.text ?? "";
        else text += part.text ?? "";
      }
      usage = chunk.usageMetadata;
    }
    const upstream = onlyRequestSince(from);
    expectCredential(upstream, kind, served[kind].key);
    expect(upstream).toMatchObject({ operation: "streamGenerateContent", query: { alt: "sse" } });
    const events = upstreamObjects(upstream);
    expect(text).toBe("añb 🎉 c — a streamed answer");
    expect(thoughts).toBe("Planning.");
    expect(chunks).toBe(events.length);
    expect(usage).toEqual(events.at(-1)?.usageMetadata);
    expect((usage as { thoughtsTokenCount?: number }).thoughtsTokenCount).toBeGreaterThan(0);
  });

  it("countTokens returns the upstream's count", async () => {
    const from = stack.mock.requests.length;
    const counted = await client().models.countTokens({ model: MODEL, contents: "count these words, ünïcödé included" });
    const upstream = onlyRequestSince(from);
    expectCredential(upstream, kind, served[kind].key);
    expect(upstream.operation).toBe("countTokens");
    const [answer] = upstreamObjects(upstream);
    expect(counted.totalTokens).toBeGreaterThan(0);
    expect(counted.totalTokens).toBe(answer?.totalTokens);
  });
});

describe("@google/genai errors through the relay", () => {
  it("gets a Google-shaped 401 UNAUTHENTICATED for a key the relay does not know, and nothing reaches the upstream", async () => {
    const from = stack.mock.requests.length;
    const wrong = new GoogleGenAI({ apiKey: "cr_not-a-key-of-this-relay", httpOptions: { baseUrl: stack.relayUrl } });
    const error = await wrong.models.generateContent({ model: MODEL, contents: "hi" }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    const body = JSON.parse((error as ApiError).message) as { error: { code: number; status: string; message: string } };
    expect(body.error).toMatchObject({ code: 401, status: "UNAUTHENTICATED" });
    expect(stack.mock.requests.length).toBe(from);
  });
});

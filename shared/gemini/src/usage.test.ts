import { describe, expect, it } from "vitest";
import { createGeminiUsageTracker, usageFromGeminiBody } from "./usage.js";

/** The chunks of a thinking model's stream with context caching in play, as the Gemini API sends them. */
const STREAM = [
  {
    candidates: [{ content: { parts: [{ text: "Hé" }], role: "model" }, index: 0 }],
    usageMetadata: { promptTokenCount: 5200, cachedContentTokenCount: 4096, totalTokenCount: 5400, thoughtsTokenCount: 198, promptTokensDetails: [{ modality: "TEXT", tokenCount: 5200 }] },
    modelVersion: "gemini-2.5-pro",
    responseId: "tGnXaKWBGZ2wz7IP",
  },
  {
    candidates: [{ content: { parts: [{ text: "llo 世界 🙂" }], role: "model" }, index: 0 }],
    usageMetadata: { promptTokenCount: 5200, cachedContentTokenCount: 4096, candidatesTokenCount: 7, totalTokenCount: 5405, thoughtsTokenCount: 198 },
    modelVersion: "gemini-2.5-pro",
    responseId: "tGnXaKWBGZ2wz7IP",
  },
  {
    candidates: [{ content: { parts: [{ text: "!" }], role: "model" }, finishReason: "STOP", index: 0 }],
    usageMetadata: {
      promptTokenCount: 5200,
      cachedContentTokenCount: 4096,
      candidatesTokenCount: 12,
      toolUsePromptTokenCount: 30,
      totalTokenCount: 5440,
      thoughtsTokenCount: 198,
    },
    modelVersion: "gemini-2.5-pro",
    responseId: "tGnXaKWBGZ2wz7IP",
  },
];

const EXPECTED = { model: "gemini-2.5-pro", inputTokens: 5200 + 30 - 4096, outputTokens: 12 + 198, cacheReadInputTokens: 4096, reasoningTokens: 198 };

describe("createGeminiUsageTracker", () => {
  it("maps the last usageMetadata of a Gemini API stream onto our counts and sees the finish", () => {
    const tracker = createGeminiUsageTracker();
    tracker.onObject(STREAM[0]);
    tracker.onObject(STREAM[1]);
    expect(tracker.complete).toBe(false);
    tracker.onObject(STREAM[2]);
    expect(tracker.usage).toEqual(EXPECTED);
    expect(tracker.complete).toBe(true);
    expect(tracker.error).toBeUndefined();
  });

  it("reads the same stream in the Code Assist envelope", () => {
    const tracker = createGeminiUsageTracker();
    for (const chunk of STREAM) tracker.onObject({ response: chunk, traceId: "c0ffee" });
    expect(tracker.usage).toEqual(EXPECTED);
    expect(tracker.complete).toBe(true);
  });

  it("replaces earlier counts with the last usageMetadata whole", () => {
    const tracker = createGeminiUsageTracker();
    tracker.onObject({ usageMetadata: { promptTokenCount: 100, cachedContentTokenCount: 50, thoughtsTokenCount: 9 } });
    tracker.onObject({ usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 3 } });
    expect(tracker.usage).toEqual({ model: "", inputTokens: 100, outputTokens: 3, cacheReadInputTokens: 0, reasoningTokens: 0 });
  });

  it("keeps the counts of a chunk that carries no usageMetadata", () => {
    const tracker = createGeminiUsageTracker();
    tracker.onObject({ usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 2 }, modelVersion: "gemini-2.5-flash" });
    tracker.onObject({ candidates: [{ content: { parts: [{ text: "more" }] } }] });
    expect(tracker.usage).toEqual({ model: "gemini-2.5-flash", inputTokens: 10, outputTokens: 2, cacheReadInputTokens: 0, reasoningTokens: 0 });
  });

  it.each([
    [{ promptTokenCount: 10 }, { inputTokens: 10, outputTokens: 0, cacheReadInputTokens: 0, reasoningTokens: 0 }],
    [{ promptTokenCount: 10, toolUsePromptTokenCount: 4 }, { inputTokens: 14, outputTokens: 0, cacheReadInputTokens: 0, reasoningTokens: 0 }],
    [{ promptTokenCount: 10, cachedContentTokenCount: 10 }, { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 10, reasoningTokens: 0 }],
    [{ promptTokenCount: 3, cachedContentTokenCount: 10 }, { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 10, reasoningTokens: 0 }],
    [{ candidatesTokenCount: 7, thoughtsTokenCount: 5 }, { inputTokens: 0, outputTokens: 12, cacheReadInputTokens: 0, reasoningTokens: 5 }],
    [{ promptTokenCount: "10", candidatesTokenCount: -4, thoughtsTokenCount: null, cachedContentTokenCount: Number.NaN }, { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, reasoningTokens: 0 }],
    [{ promptTokenCount: 10.9, candidatesTokenCount: Number.POSITIVE_INFINITY }, { inputTokens: 10, outputTokens: 0, cacheReadInputTokens: 0, reasoningTokens: 0 }],
  ])("maps %j to %j", (usageMetadata, counts) => {
    const tracker = createGeminiUsageTracker();
    tracker.onObject({ usageMetadata });
    expect(tracker.usage).toEqual({ model: "", ...counts });
  });

  it("counts any finish reason as complete, and only a non-empty one", () => {
    const tracker = createGeminiUsageTracker();
    tracker.onObject({ candidates: [{ finishReason: "" }, { finishReason: 1 }, {}] });
    expect(tracker.complete).toBe(false);
    tracker.onObject({ candidates: [{ index: 0 }, { finishReason: "MAX_TOKENS", index: 1 }] });
    expect(tracker.complete).toBe(true);
  });

  it("records an error object that ends a stream, keeping the usage so far", () => {
    const tracker = createGeminiUsageTracker();
    tracker.onObject(STREAM[0]);
    tracker.onObject({ error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" } });
    expect(tracker.error).toEqual({ code: 503, status: "UNAVAILABLE", message: "The model is overloaded." });
    expect(tracker.complete).toBe(false);
    expect(tracker.usage.cacheReadInputTokens).toBe(4096);
  });

  it("reads the elements of an array one by one", () => {
    const tracker = createGeminiUsageTracker();
    tracker.onObject([{ error: { code: 429, status: "RESOURCE_EXHAUSTED", message: "slow down" } }]);
    expect(tracker.error?.code).toBe(429);
  });

  it("never throws and keeps what it has when fed values that are not responses", () => {
    const tracker = createGeminiUsageTracker();
    tracker.onObject(STREAM[2]);
    for (const value of [null, undefined, 0, "text", true, [], [null], { response: null }, { response: 5 }, { usageMetadata: null }, { usageMetadata: "x" }, { candidates: "x" }, { modelVersion: 3 }]) {
      expect(() => tracker.onObject(value)).not.toThrow();
    }
    expect(tracker.usage).toEqual(EXPECTED);
    expect(tracker.error).toBeUndefined();
  });

  it("hands out a snapshot that later objects do not change", () => {
    const tracker = createGeminiUsageTracker();
    tracker.onObject({ usageMetadata: { candidatesTokenCount: 1 } });
    const before = tracker.usage;
    tracker.onObject({ usageMetadata: { candidatesTokenCount: 2 } });
    expect(before.outputTokens).toBe(1);
    expect(tracker.usage.outputTokens).toBe(2);
  });
});

describe("usageFromGeminiBody", () => {
  it("reads a generateContent body", () => {
    expect(usageFromGeminiBody(STREAM[2])).toEqual(EXPECTED);
  });

  it("reads the JSON array of a streamGenerateContent without alt=sse, last usage winning", () => {
    expect(usageFromGeminiBody([...STREAM, { candidates: [] }])).toEqual(EXPECTED);
  });

  it("reads Code Assist envelopes, alone or in an array", () => {
    expect(usageFromGeminiBody({ response: STREAM[2], traceId: "t" })).toEqual(EXPECTED);
    expect(usageFromGeminiBody(STREAM.map((response) => ({ response })))).toEqual(EXPECTED);
  });

  it("returns zeros for bodies that are not responses", () => {
    const zero = { model: "", inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, reasoningTokens: 0 };
    for (const body of [null, undefined, "text", 42, [], {}, { error: { code: 400 } }, { usageMetadata: [] }]) {
      expect(usageFromGeminiBody(body)).toEqual(zero);
    }
  });
});

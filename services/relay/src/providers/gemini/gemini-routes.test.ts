import { describe, expect, it } from "vitest";
import { geminiPathOf, isGeminiPath } from "./gemini-routes.js";

describe("geminiPathOf", () => {
  it("reads the model and method of Gemini API calls, under the root and under /gemini", () => {
    for (const base of ["", "/gemini"]) {
      expect(geminiPathOf("POST", `${base}/v1beta/models/gemini-2.5-pro:generateContent`)).toEqual({ api: "gemini", endpoint: "generate", model: "gemini-2.5-pro" });
      expect(geminiPathOf("POST", `${base}/v1beta/models/gemini-2.5-flash:streamGenerateContent`)).toEqual({ api: "gemini", endpoint: "stream", model: "gemini-2.5-flash" });
      expect(geminiPathOf("POST", `${base}/v1beta/models/gemini-2.5-flash:countTokens`)).toEqual({ api: "gemini", endpoint: "count_tokens", model: "gemini-2.5-flash" });
      expect(geminiPathOf("GET", `${base}/v1beta/models`)).toEqual({ api: "gemini", endpoint: "models", model: "" });
      expect(geminiPathOf("GET", `${base}/v1beta/models/gemini-2.5-pro`)).toEqual({ api: "gemini", endpoint: "models", model: "gemini-2.5-pro" });
    }
  });

  it("knows the Code Assist methods it forwards and the ones it answers itself", () => {
    expect(geminiPathOf("POST", "/v1internal:streamGenerateContent")).toEqual({ api: "code-assist", endpoint: "stream", method: "streamGenerateContent" });
    expect(geminiPathOf("POST", "/gemini/v1internal:countTokens")).toEqual({ api: "code-assist", endpoint: "count_tokens", method: "countTokens" });
    expect(geminiPathOf("POST", "/v1internal:loadCodeAssist")).toEqual({ api: "code-assist", endpoint: "housekeeping", method: "loadCodeAssist" });
  });

  it("matches nothing else", () => {
    expect(geminiPathOf("GET", "/v1beta/models/gemini-2.5-pro:generateContent")).toBeUndefined();
    expect(geminiPathOf("POST", "/v1beta/models/gemini-2.5-pro:embedContent")).toBeUndefined();
    expect(geminiPathOf("POST", "/v1beta/models/:generateContent")).toBeUndefined();
    expect(geminiPathOf("POST", "/v1beta/models/a/b:generateContent")).toBeUndefined();
    expect(geminiPathOf("GET", "/v1beta/models/a/b")).toBeUndefined();
    expect(geminiPathOf("POST", "/v1internal:toString")).toBeUndefined();
    expect(geminiPathOf("GET", "/v1internal:loadCodeAssist")).toBeUndefined();
    expect(geminiPathOf("POST", "/v1/messages")).toBeUndefined();
  });

  it("claims its own prefixes for error shapes, and leaves the Messages API's alone", () => {
    expect(isGeminiPath("/gemini/anything")).toBe(true);
    expect(isGeminiPath("/v1beta/files")).toBe(true);
    expect(isGeminiPath("/v1/messages")).toBe(false);
  });
});

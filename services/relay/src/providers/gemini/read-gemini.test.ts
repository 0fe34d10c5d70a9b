import { describe, expect, it } from "vitest";
import { geminiClientKeyOf } from "./read-gemini.js";

describe("geminiClientKeyOf", () => {
  it("reads x-goog-api-key, then ?key=, then a Bearer token", () => {
    expect(geminiClientKeyOf({ headers: { "x-goog-api-key": " k1 ", authorization: "Bearer k3" } }, "/v1beta/models?key=k2")).toBe("k1");
    expect(geminiClientKeyOf({ headers: { authorization: "Bearer k3" } }, "/v1beta/models/x:generateContent?alt=sse&key=k2")).toBe("k2");
    expect(geminiClientKeyOf({ headers: { authorization: "bearer k3" } }, "/v1internal:loadCodeAssist")).toBe("k3");
  });

  it("finds none in an empty header, an empty query key or another scheme", () => {
    expect(geminiClientKeyOf({ headers: { "x-goog-api-key": "" } }, "/v1beta/models?key=")).toBeUndefined();
    expect(geminiClientKeyOf({ headers: { authorization: "Basic abc" } }, "/")).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { createAppI18n } from "../../i18n/index.js";
import { testNotice } from "./test-result.js";

const base = { ok: false, httpStatus: 0, latencyMs: 0, errorType: "", errorMessage: "", model: "claude-haiku-4-5" };

function translator(locale: "en" | "zh-CN") {
  const i18n = createAppI18n(locale);
  return (key: string, named: Record<string, unknown>) => i18n.global.t(key, named);
}

describe("testNotice", () => {
  it("reads a success with the latency and the model", () => {
    const notice = testNotice({ ...base, ok: true, httpStatus: 200, latencyMs: 312 }, "main", translator("en"));
    expect(notice.type).toBe("success");
    expect(notice.text).toContain("312 ms");
    expect(notice.text).toContain("claude-haiku-4-5");
    expect(notice.text).toContain("main");
  });

  it("reads an upstream refusal with its status, type and message", () => {
    const notice = testNotice({ ...base, httpStatus: 401, latencyMs: 80, errorType: "authentication_error", errorMessage: "invalid x-api-key" }, "main", translator("en"));
    expect(notice.type).toBe("error");
    expect(notice.text).toContain("401");
    expect(notice.text).toContain("authentication_error: invalid x-api-key");
  });

  it("reads a failure without an answer as no answer, in Chinese too", () => {
    const result = { ...base, errorType: "connection_error", errorMessage: "ECONNREFUSED" };
    expect(testNotice(result, "main", translator("en")).text).toMatch(/no answer/i);
    const zh = testNotice(result, "main", translator("zh-CN")).text;
    expect(zh).toContain("connection_error: ECONNREFUSED");
    expect(zh).not.toMatch(/no answer/i);
  });
});

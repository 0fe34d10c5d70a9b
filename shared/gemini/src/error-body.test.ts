import { describe, expect, it } from "vitest";
import { googleErrorBody, googleStatusForHttp, httpStatusOf, isGoogleStatus, sseGoogleErrorEvent, type GoogleStatus } from "./error-body.js";

const HTTP_BY_STATUS: Record<GoogleStatus, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL: 500,
  UNKNOWN: 500,
  DATA_LOSS: 500,
  NOT_IMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

describe("googleErrorBody", () => {
  it("writes Google's error shape with code, message and status in that order", () => {
    expect(googleErrorBody(429, "RESOURCE_EXHAUSTED", "Quota exceeded")).toBe(
      '{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}',
    );
  });

  it("escapes quotes, newlines and non-ASCII text into valid JSON", () => {
    const message = 'model "gemini-x" not found\nline two — 世界 🙂';
    expect(JSON.parse(googleErrorBody(404, "NOT_FOUND", message))).toEqual({ error: { code: 404, message, status: "NOT_FOUND" } });
  });
});

describe("sseGoogleErrorEvent", () => {
  it("writes one CRLF-framed data event whose payload is the error body", () => {
    const text = sseGoogleErrorEvent(503, "UNAVAILABLE", "The model is overloaded.\nTry again later.");
    expect(text.startsWith("data: ")).toBe(true);
    expect(text.endsWith("\r\n\r\n")).toBe(true);
    const payload = text.slice("data: ".length, -4);
    // One line only: a newline in the message stays escaped inside the JSON.
    expect(payload).not.toMatch(/[\r\n]/);
    expect(JSON.parse(payload)).toEqual({ error: { code: 503, message: "The model is overloaded.\nTry again later.", status: "UNAVAILABLE" } });
  });
});

describe("httpStatusOf", () => {
  it("maps every status name to the HTTP status of google/rpc/code.proto", () => {
    for (const [status, code] of Object.entries(HTTP_BY_STATUS)) {
      expect(httpStatusOf(status as GoogleStatus), status).toBe(code);
    }
  });
});

describe("googleStatusForHttp", () => {
  it("gives back a status that maps to the same HTTP status, for every status name", () => {
    for (const code of Object.values(HTTP_BY_STATUS)) {
      expect(httpStatusOf(googleStatusForHttp(code)), String(code)).toBe(code);
    }
  });

  it.each([
    [400, "INVALID_ARGUMENT"],
    [409, "ABORTED"],
    [500, "INTERNAL"],
    [429, "RESOURCE_EXHAUSTED"],
    [499, "CANCELLED"],
    [408, "DEADLINE_EXCEEDED"],
    [502, "UNAVAILABLE"],
    [529, "UNAVAILABLE"],
    [413, "INVALID_ARGUMENT"],
    [418, "INVALID_ARGUMENT"],
    [507, "INTERNAL"],
    [200, "UNKNOWN"],
    [0, "UNKNOWN"],
    [700, "UNKNOWN"],
  ] as const)("maps HTTP %i to %s", (code, status) => {
    expect(googleStatusForHttp(code)).toBe(status);
  });
});

describe("isGoogleStatus", () => {
  it("accepts the status names and rejects anything else", () => {
    expect(isGoogleStatus("RESOURCE_EXHAUSTED")).toBe(true);
    expect(isGoogleStatus("OK")).toBe(false);
    expect(isGoogleStatus("resource_exhausted")).toBe(false);
    expect(isGoogleStatus("toString")).toBe(false);
    expect(isGoogleStatus(429)).toBe(false);
    expect(isGoogleStatus(undefined)).toBe(false);
  });
});

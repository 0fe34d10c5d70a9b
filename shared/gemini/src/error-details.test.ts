import { describe, expect, it } from "vitest";
import { googleErrorFromObject, nextPacificMidnightMs, parseGoogleError } from "./error-details.js";

/** A free-tier daily limit on the Gemini API, with the details it carries. */
const GEMINI_DAILY_429 = JSON.stringify({
  error: {
    code: 429,
    message:
      "You exceeded your current quota, please check your plan and billing details.\n" +
      "* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 50, model: gemini-2.5-pro\n" +
      "Please retry in 41.512883s.",
    status: "RESOURCE_EXHAUSTED",
    details: [
      {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        violations: [
          {
            quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            quotaId: "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
            quotaDimensions: { location: "global", model: "gemini-2.5-pro" },
            quotaValue: "50",
          },
        ],
      },
      { "@type": "type.googleapis.com/google.rpc.Help", links: [{ description: "Learn more", url: "https://ai.google.dev/gemini-api/docs/rate-limits" }] },
      { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "41s" },
    ],
  },
});

function quotaFailure(...quotaIds: string[]): unknown {
  return { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: quotaIds.map((quotaId) => ({ quotaId })) };
}

function errorWith(details: unknown[], message = "Resource exhausted.", code = 429): string {
  return JSON.stringify({ error: { code, message, status: "RESOURCE_EXHAUSTED", details } });
}

describe("parseGoogleError", () => {
  it("reads code, status, message, retry delay and a per-day scope from a Gemini API quota error", () => {
    const info = parseGoogleError(GEMINI_DAILY_429);
    expect(info).toEqual({
      code: 429,
      status: "RESOURCE_EXHAUSTED",
      message: JSON.parse(GEMINI_DAILY_429).error.message,
      retryDelayMs: 41_000,
      quotaScope: "per-day",
    });
  });

  it("reads the same from a Buffer and from a one-element array around the object", () => {
    expect(parseGoogleError(Buffer.from(GEMINI_DAILY_429))).toEqual(parseGoogleError(GEMINI_DAILY_429));
    expect(parseGoogleError(`[${GEMINI_DAILY_429}]`)).toEqual(parseGoogleError(GEMINI_DAILY_429));
  });

  it("reads the ErrorInfo reason of an invalid API key", () => {
    const body = JSON.stringify({
      error: {
        code: 400,
        message: "API key not valid. Please pass a valid API key.",
        status: "INVALID_ARGUMENT",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "API_KEY_INVALID",
            domain: "googleapis.com",
            metadata: { service: "generativelanguage.googleapis.com" },
          },
        ],
      },
    });
    expect(parseGoogleError(body)).toEqual({
      code: 400,
      status: "INVALID_ARGUMENT",
      message: "API key not valid. Please pass a valid API key.",
      reason: "API_KEY_INVALID",
    });
  });

  it("reads a daily scope from Code Assist's prose and its reason", () => {
    const body = JSON.stringify({
      error: {
        code: 429,
        message: "You have exhausted your daily quota on this model.",
        status: "RESOURCE_EXHAUSTED",
        details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "QUOTA_EXHAUSTED", domain: "cloudcode-pa.googleapis.com" }],
      },
    });
    expect(parseGoogleError(body)).toMatchObject({ code: 429, quotaScope: "per-day", reason: "QUOTA_EXHAUSTED" });
  });

  it.each([
    ["37s", 37_000],
    ["1.5s", 1_500],
    ["0.250s", 250],
    ["0s", 0],
    ["51820.638305887s", 51_820_638],
  ])("reads the RetryInfo delay %s as %i ms", (retryDelay, ms) => {
    const info = parseGoogleError(errorWith([{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay }]));
    expect(info?.retryDelayMs).toBe(ms);
  });

  it.each(["37", "s", "-1s", "1.5m", "PT37S", 37])("ignores the malformed RetryInfo delay %j", (retryDelay) => {
    const info = parseGoogleError(errorWith([{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay }]));
    expect(info).toBeDefined();
    expect(info?.retryDelayMs).toBeUndefined();
  });

  it("falls back to the delay in the message when no RetryInfo is given", () => {
    expect(parseGoogleError(errorWith([], "Quota exceeded. Please retry in 2.5s."))?.retryDelayMs).toBe(2_500);
    expect(parseGoogleError(errorWith([], "Quota exceeded. Please retry in 900ms."))?.retryDelayMs).toBe(900);
    expect(parseGoogleError(errorWith([{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "3s" }], "Please retry in 9s."))?.retryDelayMs).toBe(3_000);
  });

  it.each([
    [[quotaFailure("GenerateRequestsPerDayPerProjectPerModel-FreeTier")], "per-day"],
    [[quotaFailure("GenerateContentInputTokensPerModelPerMinute-FreeTier")], "per-minute"],
    [[quotaFailure("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "GenerateRequestsPerDayPerProjectPerModel-FreeTier")], "per-day"],
    [[quotaFailure("GenerateRequestsPerMinutePerProjectPerModel"), quotaFailure("DailyRequests")], "per-day"],
    [[{ "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ quotaMetric: "aiplatform.googleapis.com/generate_content_requests_per_minute_per_project" }] }], "per-minute"],
    [[{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "RATE_LIMIT_EXCEEDED", metadata: { quota_limit: "GenerateRequestsPerMinutePerProject" } }], "per-minute"],
    [[quotaFailure("GenerateContentPaidTierRequests")], undefined],
    [[{ "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: "none" }], undefined],
    [[], undefined],
  ])("reads the quota scope of %j as %s", (details, scope) => {
    expect(parseGoogleError(errorWith(details))?.quotaScope).toBe(scope);
  });

  it("reads a scope from the message of a 429 only", () => {
    expect(parseGoogleError(errorWith([], "Requests per day limit reached."))?.quotaScope).toBe("per-day");
    expect(parseGoogleError(errorWith([], "Too many requests per minute."))?.quotaScope).toBe("per-minute");
    expect(parseGoogleError(errorWith([], "Your daily summary is invalid.", 400))?.quotaScope).toBeUndefined();
  });

  it("cuts the message at 500 characters without splitting a surrogate pair", () => {
    expect(parseGoogleError(errorWith([], "x".repeat(2_000)))?.message).toBe("x".repeat(500));
    const emojiAtEdge = `${"y".repeat(499)}🙂tail`;
    expect(parseGoogleError(errorWith([], emojiAtEdge))?.message).toBe("y".repeat(499));
  });

  it("derives the code from the status name when the code is missing or mistyped", () => {
    expect(parseGoogleError('{"error":{"status":"UNAVAILABLE","message":"busy"}}')).toEqual({ code: 503, status: "UNAVAILABLE", message: "busy" });
    expect(parseGoogleError('{"error":{"code":"429","status":"RESOURCE_EXHAUSTED"}}')).toEqual({ code: 429, status: "RESOURCE_EXHAUSTED", message: "" });
    expect(parseGoogleError('{"error":{"code":-1,"status":"MADE_UP"}}')).toEqual({ code: 0, status: "MADE_UP", message: "" });
  });

  it.each([
    "",
    "not json",
    "null",
    "[]",
    "42",
    '"error"',
    '{"error":"invalid_grant"}',
    '{"error":null}',
    '{"error":[1]}',
    '{"candidates":[]}',
    "[[]]",
  ])("returns undefined for %j", (body) => {
    expect(parseGoogleError(body)).toBeUndefined();
  });

  it("never throws on odd details", () => {
    const details = [null, 1, "x", [], { "@type": 7 }, { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: 5, metadata: null }, quotaFailure()];
    expect(parseGoogleError(errorWith(details))).toEqual({ code: 429, status: "RESOURCE_EXHAUSTED", message: "Resource exhausted." });
  });
});

describe("googleErrorFromObject", () => {
  it("reads an already parsed error object and ignores anything else", () => {
    expect(googleErrorFromObject(JSON.parse(GEMINI_DAILY_429))).toEqual(parseGoogleError(GEMINI_DAILY_429));
    expect(googleErrorFromObject({ candidates: [] })).toBeUndefined();
    expect(googleErrorFromObject(undefined)).toBeUndefined();
  });
});

describe("nextPacificMidnightMs", () => {
  const at = (iso: string) => Date.parse(iso);

  it.each([
    ["a winter afternoon", "2026-01-15T20:00:00Z", "2026-01-16T08:00:00Z"],
    ["a summer morning", "2026-07-04T15:00:00Z", "2026-07-05T07:00:00Z"],
    ["exactly midnight, which gets the next one", "2026-07-04T07:00:00Z", "2026-07-05T07:00:00Z"],
    ["a millisecond before midnight", "2026-07-04T06:59:59.999Z", "2026-07-04T07:00:00Z"],
    ["the eve of the spring change", "2026-03-07T20:00:00Z", "2026-03-08T08:00:00Z"],
    ["the spring-change night before 02:00 PST", "2026-03-08T09:30:00Z", "2026-03-09T07:00:00Z"],
    ["the spring-change day after 03:00 PDT", "2026-03-08T17:00:00Z", "2026-03-09T07:00:00Z"],
    ["the eve of the autumn change", "2026-10-31T20:00:00Z", "2026-11-01T07:00:00Z"],
    ["the first 01:30 of the autumn-change night (PDT)", "2026-11-01T08:30:00Z", "2026-11-02T08:00:00Z"],
    ["the second 01:30 of the autumn-change night (PST)", "2026-11-01T09:30:00Z", "2026-11-02T08:00:00Z"],
    ["new year's eve", "2026-12-31T20:00:00Z", "2027-01-01T08:00:00Z"],
    ["a leap day", "2028-02-29T12:00:00Z", "2028-03-01T08:00:00Z"],
  ])("finds the next midnight on %s", (_name, now, expected) => {
    expect(new Date(nextPacificMidnightMs(at(now))).toISOString()).toBe(new Date(expected).toISOString());
  });

  it("lands on a Los Angeles midnight within 25 hours, every half hour around both 2026 changes", () => {
    const clock = new Intl.DateTimeFormat("en-US", { timeZone: "America/Los_Angeles", hourCycle: "h23", hour: "2-digit", minute: "2-digit", second: "2-digit" });
    for (const start of [at("2026-03-06T00:00:00Z"), at("2026-10-30T00:00:00Z")]) {
      for (let now = start; now < start + 4 * 86_400_000; now += 1_800_000) {
        const next = nextPacificMidnightMs(now);
        expect(next, new Date(now).toISOString()).toBeGreaterThan(now);
        expect(next - now, new Date(now).toISOString()).toBeLessThanOrEqual(25 * 3_600_000);
        expect(clock.format(next), new Date(now).toISOString()).toBe("00:00:00");
        expect(nextPacificMidnightMs(next - 1)).toBe(next);
      }
    }
  });
});

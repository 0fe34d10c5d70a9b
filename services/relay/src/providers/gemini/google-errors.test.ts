import { RefusalReason } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import type { RelayFailure } from "../../errors.js";
import { toGoogleError } from "./google-errors.js";

const refusal = (reason: RefusalReason, retryAfterMs = 0): RelayFailure => ({ kind: "refusal", reason, message: "", retryAfterMs });

describe("toGoogleError", () => {
  const table: Array<{ failure: RelayFailure; status: number; googleStatus: string }> = [
    { failure: refusal(RefusalReason.KEY_INVALID), status: 401, googleStatus: "UNAUTHENTICATED" },
    { failure: refusal(RefusalReason.NOT_ALLOWED), status: 403, googleStatus: "PERMISSION_DENIED" },
    { failure: refusal(RefusalReason.KEY_LIMIT), status: 429, googleStatus: "RESOURCE_EXHAUSTED" },
    { failure: refusal(RefusalReason.NO_ACCOUNT), status: 503, googleStatus: "UNAVAILABLE" },
    { failure: { kind: "missing-key" }, status: 401, googleStatus: "UNAUTHENTICATED" },
    { failure: { kind: "body-too-large", limitBytes: 10 }, status: 400, googleStatus: "INVALID_ARGUMENT" },
    { failure: { kind: "model-not-found", model: "gemini-x" }, status: 404, googleStatus: "NOT_FOUND" },
    { failure: { kind: "internal" }, status: 500, googleStatus: "INTERNAL" },
  ];
  for (const row of table) {
    it(`answers ${row.failure.kind}${row.failure.kind === "refusal" ? ` ${RefusalReason[row.failure.reason]}` : ""} with ${row.status} ${row.googleStatus}`, () => {
      const answer = toGoogleError(row.failure, "req_1");
      expect(answer.status).toBe(row.status);
      expect(JSON.parse(answer.body)).toEqual({ error: { code: row.status, message: expect.any(String), status: row.googleStatus } });
      expect(answer.headers["x-request-id"]).toBe("req_1");
      expect(Number(answer.headers["content-length"])).toBe(Buffer.byteLength(answer.body));
    });
  }

  it("tells a client over its limit when to come back, never at once", () => {
    expect(toGoogleError(refusal(RefusalReason.KEY_LIMIT, 2_500), "r").headers["retry-after"]).toBe("3");
    expect(toGoogleError(refusal(RefusalReason.KEY_LIMIT, 0), "r").headers["retry-after"]).toBe("1");
    expect(toGoogleError(refusal(RefusalReason.NO_ACCOUNT, 0), "r").headers["retry-after"]).toBeUndefined();
  });
});

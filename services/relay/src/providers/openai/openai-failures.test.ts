import { RefusalReason } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import type { RelayFailure } from "../../errors.js";
import { toOpenAiError } from "./openai-failures.js";

const refusal = (reason: RefusalReason, retryAfterMs = 0): RelayFailure => ({ kind: "refusal", reason, message: "", retryAfterMs });

describe("toOpenAiError", () => {
  const table: Array<{ failure: RelayFailure; status: number; type: string; code: string | null; param?: string | null }> = [
    { failure: refusal(RefusalReason.KEY_INVALID), status: 401, type: "invalid_request_error", code: "invalid_api_key" },
    { failure: refusal(RefusalReason.KEY_LIMIT), status: 429, type: "requests", code: "rate_limit_exceeded" },
    { failure: refusal(RefusalReason.NO_ACCOUNT), status: 503, type: "service_unavailable_error", code: "server_is_overloaded" },
    { failure: { kind: "missing-key" }, status: 401, type: "invalid_request_error", code: "invalid_api_key" },
    { failure: { kind: "invalid-request", message: "n must be 1", param: "n" }, status: 400, type: "invalid_request_error", code: null, param: "n" },
    { failure: { kind: "model-not-found", model: "gpt-9" }, status: 404, type: "invalid_request_error", code: "model_not_found", param: "model" },
    { failure: { kind: "internal" }, status: 500, type: "server_error", code: null },
  ];
  for (const row of table) {
    it(`answers ${row.failure.kind}${row.failure.kind === "refusal" ? ` ${RefusalReason[row.failure.reason]}` : ""} with ${row.status} ${row.code ?? row.type}`, () => {
      const answer = toOpenAiError(row.failure, "req_1");
      expect(answer.status).toBe(row.status);
      expect(JSON.parse(answer.body)).toEqual({ error: { message: expect.any(String), type: row.type, param: row.param ?? null, code: row.code } });
      expect(answer.headers["x-request-id"]).toBe("req_1");
    });
  }

  it("tells a client over its limit when to come back", () => {
    expect(toOpenAiError(refusal(RefusalReason.KEY_LIMIT, 4_200), "r").headers["retry-after"]).toBe("5");
  });
});

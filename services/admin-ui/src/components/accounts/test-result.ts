/**
 * How the result of trying an account reads: a success notice with the
 * latency and model, or an error notice with the status, the upstream's
 * error type and its message (a status of 0 means no answer came).
 */
import type { TestAccountResponse } from "@claude-relay/proto/admin";
import type { Translate } from "../../i18n/format-duration.js";

/** A notice to show after a test. */
export interface TestNotice {
  type: "success" | "error";
  text: string;
}

/** The notice for a test result of the account `name`. */
export function testNotice(
  result: Pick<TestAccountResponse, "ok" | "httpStatus" | "latencyMs" | "errorType" | "errorMessage" | "model">,
  name: string,
  t: Translate,
): TestNotice {
  if (result.ok) return { type: "success", text: t("accountTest.ok", { name, ms: result.latencyMs, model: result.model }) };
  const detail = [result.errorType, result.errorMessage].filter((part) => part !== "").join(": ") || t("accountTest.noDetail", {});
  const text =
    result.httpStatus > 0
      ? t("accountTest.failedStatus", { name, status: result.httpStatus, detail, ms: result.latencyMs })
      : t("accountTest.failedNoAnswer", { name, detail, ms: result.latencyMs });
  return { type: "error", text };
}

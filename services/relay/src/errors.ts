/**
 * The failures the relay answers itself, instead of an upstream answer, named
 * once for every front door. Each provider maps them to its own error shape
 * (providers/<name>/*-errors.ts); this module writes what that map gives.
 * Messages shown to clients come from those maps or from a control-plane
 * refusal (whose message the contract declares safe to show); causes and
 * secrets stay in the logs.
 */
import type { ServerResponse } from "node:http";
import type { RefusalReason } from "@claude-relay/proto/lease";
import type { ErrorResponse } from "./providers/provider.js";

/** Everything the relay itself can answer a request with instead of the upstream's answer. */
export type RelayFailure =
  | { kind: "refusal"; reason: RefusalReason; message: string; retryAfterMs: number }
  | { kind: "missing-key" }
  | { kind: "control-plane-unavailable" }
  | { kind: "upstream-unreachable" }
  | { kind: "shutting-down" }
  | { kind: "body-too-large"; limitBytes: number }
  | { kind: "invalid-request"; message: string; param?: string | null }
  /** A model name the key may not use or no account serves (front doors that route by model). */
  | { kind: "model-not-found"; model: string }
  | { kind: "not-found"; method: string; path: string }
  | { kind: "headers-too-large" }
  | { kind: "client-timeout" }
  | { kind: "bad-http" }
  | { kind: "internal" };

/** Answers `res` with `answer`, unless an answer already began; returns the status. */
export function writeErrorResponse(res: ServerResponse, answer: ErrorResponse): number {
  if (res.headersSent || res.destroyed) return answer.status;
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
  return answer.status;
}

/** Echoes at most a short, printable path, so a hostile URL cannot bloat or garble an error body. */
export function safePath(path: string): string {
  const printable = path.replace(/[^\x21-\x7e]/g, "?");
  return printable.length > 200 ? `${printable.slice(0, 200)}…` : printable;
}

/** Adds `retry-after` (whole seconds, rounded up) to a relay answer when there is a time to give. */
export function withRetryAfter(response: ErrorResponse, retryAfterMs: number): ErrorResponse {
  if (retryAfterMs > 0) response.headers["retry-after"] = String(Math.ceil(retryAfterMs / 1000));
  return response;
}

/** Ends an exhaustive switch over RelayFailure kinds: reached only by a kind a map forgot. */
export function assertNever(value: never): never {
  throw Object.assign(new Error(`unhandled relay failure: ${JSON.stringify(value)}`), { code: "ERR_RELAY_UNHANDLED_FAILURE" });
}

/** Marks an exhaustive switch over RefusalReason; a value newer than this build (the enum is open at runtime) falls through to the caller's answer. */
export function assertNeverReason(_reason: never): void {}

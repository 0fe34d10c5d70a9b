/**
 * Why Acquire granted nothing, as a value. The reasons mirror the proto's
 * RefusalReason; the lease server maps them, exhaustively, at the edge.
 */

/** A refusal reason. */
export type RefusalCode = "KEY_INVALID" | "NOT_ALLOWED" | "KEY_LIMIT" | "NO_ACCOUNT";

/** An Acquire that granted nothing; `message` is safe to show the client. */
export interface Refusal {
  ok: false;
  reason: RefusalCode;
  message: string;
  /** When a retry makes sense, in ms from now; 0 when unknown. */
  retryAfterMs: number;
  /** True when every account that could serve the request is at its concurrency limit: a slot frees soon, and the request may wait for it. */
  full?: boolean;
}

/** Builds a refusal. */
export function refuse(reason: RefusalCode, message: string, retryAfterMs = 0, options: { full?: boolean } = {}): Refusal {
  return { ok: false, reason, message, retryAfterMs: Math.max(0, Math.round(retryAfterMs)), ...(options.full && { full: true }) };
}

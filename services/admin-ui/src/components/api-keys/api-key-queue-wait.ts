/**
 * A key's wait for a free slot, as the key dialog edits it and the list shows
 * it: whole or fractional seconds in the form, milliseconds on the wire. An
 * empty input (null) keeps the control plane's default bound; 0 refuses at
 * once when every account is full. The server allows up to 10 minutes.
 */
import type { ApiKey } from "@claude-relay/proto/admin";

/** The longest bound a key may set, in seconds (the API's 600,000 ms). */
export const MAX_QUEUE_WAIT_SECONDS = 600;

/** How a key waits: the default bound, never, or up to some seconds. */
export type QueueWaitShown = { kind: "default" } | { kind: "never" } | { kind: "seconds"; seconds: number };

/** The form's value for `key`: null when it keeps the default. */
export function queueWaitSecondsOf(key: Pick<ApiKey, "queueWaitMs">): number | null {
  return key.queueWaitMs === undefined ? null : key.queueWaitMs / 1000;
}

/** The form's seconds as the API's ms; undefined for the default. */
export function queueWaitMsOf(seconds: number | null): number | undefined {
  return seconds === null ? undefined : Math.round(seconds * 1000);
}

/** The CreateApiKey field: nothing for the default. */
export function queueWaitCreateField(seconds: number | null): { queueWaitMs?: number } {
  const ms = queueWaitMsOf(seconds);
  return ms === undefined ? {} : { queueWaitMs: ms };
}

/** The UpdateApiKey fields when the bound changed: a new one, or a clear back to the default. */
export function queueWaitUpdateFields(seconds: number | null, key: Pick<ApiKey, "queueWaitMs">): { queueWaitMs?: number; clearQueueWaitMs?: boolean } {
  const ms = queueWaitMsOf(seconds);
  if (ms === key.queueWaitMs) return {};
  return ms === undefined ? { clearQueueWaitMs: true } : { queueWaitMs: ms };
}

/** Why the seconds cannot be sent, as a message key; undefined when they can. */
export function queueWaitProblem(seconds: number | null): string | undefined {
  if (seconds === null) return undefined;
  return Number.isFinite(seconds) && seconds >= 0 && seconds <= MAX_QUEUE_WAIT_SECONDS ? undefined : "apiKeyForm.queueWaitRange";
}

/** How the list shows a key's bound. */
export function queueWaitShown(key: Pick<ApiKey, "queueWaitMs">): QueueWaitShown {
  if (key.queueWaitMs === undefined) return { kind: "default" };
  if (key.queueWaitMs === 0) return { kind: "never" };
  return { kind: "seconds", seconds: key.queueWaitMs / 1000 };
}

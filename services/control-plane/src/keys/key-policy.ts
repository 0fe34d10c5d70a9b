/**
 * Whether a client key may make this request, pure: the key exists, is
 * enabled, not revoked, not expired, and allows the model. Limits that need
 * Redis (concurrency) are checked when the slot is taken, not here. Messages
 * are safe to show the client: they name the model it sent, never a secret.
 */
import type { ApiKeyRecord } from "./api-key-store.js";

/** The verdict; a refusal carries the reason and a client-safe message. */
export type KeyPolicyResult = { ok: true } | { ok: false; reason: "KEY_INVALID" | "NOT_ALLOWED"; message: string };

/** What the request asks for. */
export interface KeyRequest {
  model: string;
}

const MAX_ECHOED_MODEL = 100;

/** Checks a key (undefined when no key matched the hash) against a request at nowMs. */
export function checkKeyPolicy(key: ApiKeyRecord | undefined, request: KeyRequest, nowMs: number): KeyPolicyResult {
  if (!key) return { ok: false, reason: "KEY_INVALID", message: "invalid x-api-key" };
  if (key.revokedAtMs !== 0) return { ok: false, reason: "KEY_INVALID", message: "this API key has been revoked" };
  if (!key.enabled) return { ok: false, reason: "KEY_INVALID", message: "this API key is disabled" };
  if (key.expiresAtMs !== 0 && nowMs >= key.expiresAtMs) return { ok: false, reason: "KEY_INVALID", message: "this API key has expired" };
  if (!isModelAllowed(key.allowedModels, request.model)) {
    const shown = request.model.length > MAX_ECHOED_MODEL ? `${request.model.slice(0, MAX_ECHOED_MODEL)}…` : request.model;
    return { ok: false, reason: "NOT_ALLOWED", message: `this API key may not use the model "${shown}"` };
  }
  return { ok: true };
}

/** An empty list allows every model; an entry ending in "*" allows every model starting with the rest. */
export function isModelAllowed(allowed: readonly string[], model: string): boolean {
  if (allowed.length === 0) return true;
  return allowed.some((entry) => (entry.endsWith("*") ? model.startsWith(entry.slice(0, -1)) : entry === model));
}

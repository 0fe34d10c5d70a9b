/**
 * CheckKey: whether a client key may be used at all (it exists, is not
 * revoked, is enabled and has not expired), asked by the relay before it reads
 * a request's body. It reads the key through the catalog it is given — the
 * per-replica cache, which keeps unknown hashes too — so a key seen lately,
 * good or bad, costs no Redis read. What the key may be used for and its
 * limits are Acquire's (key-policy, key-limits); this answers nothing else.
 */
import type { ApiKeyRecord } from "./api-key-store.js";
import { checkKeyUsable } from "./key-policy.js";

/** The verdict: the key's id, or a refusal with a client-safe message. */
export type KeyCheckResult = { ok: true; keyId: string } | { ok: false; reason: "KEY_INVALID"; message: string };

/** Options of createKeyCheck. */
export interface KeyCheckOptions {
  /** Keys by hash; the cached catalog in the app. */
  catalog: { findKeyByHash(keyHash: string): Promise<ApiKeyRecord | undefined> };
  now?: () => number;
}

/** Builds the check over a catalog. */
export function createKeyCheck(options: KeyCheckOptions): (keyHash: string) => Promise<KeyCheckResult> {
  const now = options.now ?? Date.now;
  return async (keyHash) => {
    const key = keyHash === "" ? undefined : await options.catalog.findKeyByHash(keyHash);
    const usable = checkKeyUsable(key, now());
    if (!usable.ok) return { ok: false, reason: "KEY_INVALID", message: usable.message };
    return { ok: true, keyId: key?.id ?? "" };
  };
}

/**
 * Acquire refusals as notification events, by wrapping the Acquire function:
 * KEY_LIMIT reports the key (named from the catalog, never its hash),
 * NO_ACCOUNT reports the platform and the key's account group, if any, but
 * only when no account there could serve the request at all (none left, or
 * every one out for its health or windows): a pool that is merely full frees a
 * slot within a lease and is the wait queue's business, not an operator's.
 * The wrapper adds nothing to a granted lease and emits without waiting; a
 * burst of refusals folds into one message in the queue.
 */
import type { ApiKeyRecord } from "../keys/api-key-store.js";
import { keyBinding } from "../keys/key-policy.js";
import type { AcquireInput, AcquireResult } from "../leases/acquire-lease.js";
import { safeReason, type NotificationEvent } from "./notification-event.js";

/** Options of watchRefusals. */
export interface RefusalNoticesOptions {
  emit: (event: NotificationEvent) => void;
  findKeyByHash: (keyHash: string) => Promise<ApiKeyRecord | undefined>;
  now?: () => number;
  onError?: (err: unknown) => void;
}

/** Acquire, emitting key.limit_reached and pool.no_account for its refusals. */
export function watchRefusals(acquire: (input: AcquireInput) => Promise<AcquireResult>, options: RefusalNoticesOptions): (input: AcquireInput) => Promise<AcquireResult> {
  const now = options.now ?? Date.now;
  const report = async (input: AcquireInput, reason: "KEY_LIMIT" | "NO_ACCOUNT", message: string) => {
    const key = await options.findKeyByHash(input.keyHash);
    const atMs = now();
    if (reason === "KEY_LIMIT") {
      if (key) options.emit({ type: "key.limit_reached", atMs, key: { id: key.id, name: key.name }, reason: safeReason(message) });
      return;
    }
    const platform = input.platform ?? "claude";
    const group = key ? keyBinding(key, platform).group : "";
    options.emit({ type: "pool.no_account", atMs, platform, group, model: input.model });
  };
  return async (input) => {
    const result = await acquire(input);
    if (!result.ok && (result.reason === "KEY_LIMIT" || (result.reason === "NO_ACCOUNT" && !result.full))) {
      report(input, result.reason, result.message).catch((err: unknown) => options.onError?.(err));
    }
    return result;
  };
}

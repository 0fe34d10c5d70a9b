/**
 * A key's wait bound (how long its requests may wait for a slot when every
 * account is full) as the admin API reads and shows it. Unset means the
 * control plane's default (CONTROL_PLANE_QUEUE_WAIT_MS), 0 means refused at
 * once; the store keeps the two apart. Bad input is refused with
 * InvalidArgument naming the proto field.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ApiKeySchema } from "@claude-relay/proto/admin";
import { MAX_QUEUE_WAIT_MS, type ApiKeyPatch, type ApiKeyRecord } from "../../keys/api-key-store.js";
import { invalidArgument } from "./field-checks.js";

/** The value when it is a whole number of ms from 0 to MAX_QUEUE_WAIT_MS. */
export function checkQueueWaitMs(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_QUEUE_WAIT_MS) {
    throw invalidArgument(field, `must be an integer from 0 (refuse at once) to ${MAX_QUEUE_WAIT_MS} ms (10 minutes), got ${value}`);
  }
  return value;
}

/** The wait bound of a CreateApiKeyRequest; nothing when unset (the default). */
export function checkNewQueueWait(req: { queueWaitMs?: number | undefined }): { queueWaitMs?: number } {
  return req.queueWaitMs === undefined ? {} : { queueWaitMs: checkQueueWaitMs("queue_wait_ms", req.queueWaitMs) };
}

/** The wait bound an UpdateApiKeyRequest changes: a new one, null for back to the default, or nothing. */
export function checkQueueWaitPatch(req: { queueWaitMs?: number | undefined; clearQueueWaitMs: boolean }): Pick<ApiKeyPatch, "queueWaitMs"> {
  if (req.clearQueueWaitMs && req.queueWaitMs !== undefined) throw invalidArgument("clear_queue_wait_ms", "must be false when queue_wait_ms is set");
  if (req.clearQueueWaitMs) return { queueWaitMs: null };
  return checkNewQueueWait(req);
}

/** The ApiKey message's wait bound: unset when the key keeps the default. */
export function toQueueWaitField(record: Pick<ApiKeyRecord, "queueWaitMs">): Pick<MessageInitShape<typeof ApiKeySchema>, "queueWaitMs"> {
  return record.queueWaitMs === undefined ? {} : { queueWaitMs: record.queueWaitMs };
}

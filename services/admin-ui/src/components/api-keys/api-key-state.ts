import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { ApiKey } from "@claude-relay/proto/admin";

/** Whether a key is accepted now, and if not, why. */
export type ApiKeyState = "active" | "revoked" | "disabled" | "expired";

/** The state of `key` at `now` (ms): revoked wins over disabled, disabled over expired. */
export function apiKeyState(key: Pick<ApiKey, "enabled" | "expiresAt" | "revokedAt">, now: number = Date.now()): ApiKeyState {
  if (key.revokedAt !== undefined) return "revoked";
  if (!key.enabled) return "disabled";
  if (key.expiresAt !== undefined && timestampMs(key.expiresAt) <= now) return "expired";
  return "active";
}

/**
 * ApiKeyService: the relay's own client keys. The plaintext key is returned
 * by CreateApiKey once; afterwards only its prefix is ever shown, and the
 * stored hash never leaves the store.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { ApiKeySchema, ApiKeyService } from "@claude-relay/proto/admin";
import type { ApiKeyRecord, ApiKeyStore } from "../../keys/api-key-store.js";
import { optionalTimestamp } from "./account-message.js";
import { checkNonEmpty, checkNonNegativeInt, invalidArgument, notFound } from "./field-checks.js";

/** Dependencies of createApiKeyService. */
export interface ApiKeyServiceDeps {
  apiKeys: Pick<ApiKeyStore, "create" | "list" | "revoke">;
  now?: () => number;
}

/** The ApiKeyService implementation. */
export function createApiKeyService({ apiKeys, now = Date.now }: ApiKeyServiceDeps): ServiceImpl<typeof ApiKeyService> {
  return {
    async createApiKey(req) {
      const name = checkNonEmpty("name", req.name);
      const concurrencyLimit = checkNonNegativeInt("concurrency_limit", req.concurrencyLimit, "0 means unlimited");
      const expiresAtMs = req.expiresAt ? timestampMs(req.expiresAt) : 0;
      if (req.expiresAt && expiresAtMs <= now()) throw invalidArgument("expires_at", "must be in the future");
      const allowedModels = req.allowedModels.map((model, i) => checkNonEmpty(`allowed_models[${i}]`, model));
      const { record, plaintextKey } = await apiKeys.create({
        name,
        concurrencyLimit,
        allowedModels,
        ...(expiresAtMs > 0 && { expiresAtMs }),
      });
      return { apiKey: toApiKeyMessage(record), plaintextKey };
    },

    async listApiKeys() {
      return { apiKeys: (await apiKeys.list()).map(toApiKeyMessage) };
    },

    async revokeApiKey(req) {
      const id = checkNonEmpty("id", req.id);
      const record = await apiKeys.revoke(id);
      if (record === undefined) throw notFound("API key", id);
      return { apiKey: toApiKeyMessage(record) };
    },
  };
}

/** The admin ApiKey message of a record: no hash, no key; unset times stay unset. */
export function toApiKeyMessage(record: ApiKeyRecord): MessageInitShape<typeof ApiKeySchema> {
  return {
    id: record.id,
    name: record.name,
    keyPrefix: record.keyPrefix,
    enabled: record.enabled,
    createdAt: optionalTimestamp(record.createdAtMs),
    expiresAt: optionalTimestamp(record.expiresAtMs),
    concurrencyLimit: record.concurrencyLimit,
    allowedModels: [...record.allowedModels],
    revokedAt: optionalTimestamp(record.revokedAtMs),
  };
}

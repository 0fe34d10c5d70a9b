/**
 * ApiKeyService: the relay's own client keys. The plaintext key is returned
 * by CreateApiKey once; afterwards only its prefix is ever shown, and the
 * stored hash never leaves the store. Where a key may be served (binding,
 * platforms, per-platform groups) is read and shown by key-binding.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { ApiKeySchema, ApiKeyService } from "@claude-relay/proto/admin";
import type { AccountStore } from "../../accounts/account-store.js";
import type { ApiKeyPatch, ApiKeyRecord, ApiKeyStore } from "../../keys/api-key-store.js";
import type { KeyLimits, KeySpend } from "../../keys/key-limits.js";
import { optionalTimestamp } from "./account-message.js";
import { checkNonEmpty, checkNonNegativeInt, invalidArgument, notFound } from "./field-checks.js";
import { checkKeyBinding, checkPlatformGroups, checkPlatforms, toBindingFields } from "./key-binding.js";
import { checkKeyLimitsPatch, checkNewKeyLimits, toLimitFields } from "./key-limit-fields.js";
import { checkNewQueueWait, checkQueueWaitPatch, toQueueWaitField } from "./key-queue-wait.js";

/** Dependencies of createApiKeyService. */
export interface ApiKeyServiceDeps {
  apiKeys: Pick<ApiKeyStore, "create" | "list" | "get" | "revoke" | "update">;
  /** Confirms that a bound account exists. */
  accounts?: Pick<AccountStore, "get">;
  /** Reads each key's spend against its limits; without it keys show no spend. */
  keyLimits?: Pick<KeyLimits, "spend">;
  now?: () => number;
}

/** The ApiKeyService implementation. */
export function createApiKeyService({ apiKeys, accounts, keyLimits, now = Date.now }: ApiKeyServiceDeps): ServiceImpl<typeof ApiKeyService> {
  const withSpend = async (record: ApiKeyRecord) => toApiKeyMessage(record, await keyLimits?.spend(record));
  return {
    async createApiKey(req) {
      const name = checkNonEmpty("name", req.name);
      const concurrencyLimit = checkNonNegativeInt("concurrency_limit", req.concurrencyLimit, "0 means unlimited");
      const expiresAtMs = req.expiresAt ? timestampMs(req.expiresAt) : 0;
      if (req.expiresAt && expiresAtMs <= now()) throw invalidArgument("expires_at", "must be in the future");
      const allowedModels = req.allowedModels.map((model, i) => checkNonEmpty(`allowed_models[${i}]`, model));
      const binding = await checkKeyBinding(req, accounts);
      const platforms = checkPlatforms("platforms", req.platforms);
      const platformGroups = checkPlatformGroups("platform_groups", req.platformGroups);
      const limits = checkNewKeyLimits(req);
      const queueWait = checkNewQueueWait(req);
      const { record, plaintextKey } = await apiKeys.create({
        ...binding,
        platforms,
        platformGroups,
        ...limits,
        ...queueWait,
        name,
        concurrencyLimit,
        allowedModels,
        ...(expiresAtMs > 0 && { expiresAtMs }),
      });
      return { apiKey: toApiKeyMessage(record), plaintextKey };
    },

    async listApiKeys() {
      return { apiKeys: await Promise.all((await apiKeys.list()).map(withSpend)) };
    },

    async revokeApiKey(req) {
      const id = checkNonEmpty("id", req.id);
      const record = await apiKeys.revoke(id);
      if (record === undefined) throw notFound("API key", id);
      return { apiKey: toApiKeyMessage(record) };
    },

    async updateApiKey(req) {
      const id = checkNonEmpty("id", req.id);
      const patch: ApiKeyPatch = { ...checkKeyLimitsPatch(req), ...checkQueueWaitPatch(req) };
      if (req.name !== undefined) patch.name = checkNonEmpty("name", req.name);
      if (req.enabled === true && ((await apiKeys.get(id))?.revokedAtMs ?? 0) !== 0) throw invalidArgument("enabled", "a revoked key cannot be enabled again");
      if (req.enabled !== undefined) patch.enabled = req.enabled;
      if (req.concurrencyLimit !== undefined) patch.concurrencyLimit = checkNonNegativeInt("concurrency_limit", req.concurrencyLimit, "0 means unlimited");
      if (req.expiresAt && req.clearExpiresAt) throw invalidArgument("clear_expires_at", "must be false when expires_at is set");
      if (req.clearExpiresAt) patch.expiresAtMs = 0;
      if (req.expiresAt) {
        patch.expiresAtMs = timestampMs(req.expiresAt);
        if (patch.expiresAtMs <= now()) throw invalidArgument("expires_at", "must be in the future");
      }
      if (req.allowedModels) patch.allowedModels = req.allowedModels.models.map((model, i) => checkNonEmpty(`allowed_models.models[${i}]`, model));
      // Either binding field replaces the whole binding: the one left unset becomes empty.
      if (req.boundAccountId !== undefined || req.boundGroup !== undefined) {
        Object.assign(patch, await checkKeyBinding({ boundAccountId: req.boundAccountId ?? "", boundGroup: req.boundGroup ?? "" }, accounts));
      }
      if (req.platforms) patch.platforms = checkPlatforms("platforms.platforms", req.platforms.platforms);
      if (req.platformGroups) patch.platformGroups = checkPlatformGroups("platform_groups.groups", req.platformGroups.groups);
      const record = await apiKeys.update(id, patch);
      if (record === undefined) throw notFound("API key", id);
      return { apiKey: await withSpend(record) };
    },
  };
}

/** The admin ApiKey message of a record: no hash, no key; unset times stay unset. */
export function toApiKeyMessage(record: ApiKeyRecord, spend?: KeySpend): MessageInitShape<typeof ApiKeySchema> {
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
    ...toBindingFields(record),
    ...toLimitFields(record, spend),
    ...toQueueWaitField(record),
  };
}

/**
 * ModelAliasService: the names clients of the OpenAI-compatible front door
 * may use for a model the pool serves. What an alias may be is
 * models/model-alias's; a refused field comes back as INVALID_ARGUMENT naming
 * it. The store announces each change, so every replica serves it within
 * moments; the audit interceptor records the writes.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { ModelAliasSchema, ModelAliasService } from "@claude-relay/proto/admin";
import type { ModelAliasStore } from "../../models/model-alias-store.js";
import { checkModelAlias, type ModelAliasRecord } from "../../models/model-alias.js";
import { platformToProto } from "../../providers/platform-proto.js";
import { optionalTimestamp } from "./account-message.js";
import { checkNonEmpty, invalidArgument, notFound } from "./field-checks.js";

/** Dependencies of createModelAliasService. */
export interface ModelAliasServiceDeps {
  aliases: Pick<ModelAliasStore, "list" | "set" | "delete">;
}

/** The ModelAliasService implementation. */
export function createModelAliasService({ aliases }: ModelAliasServiceDeps): ServiceImpl<typeof ModelAliasService> {
  return {
    async listModelAliases() {
      return { aliases: (await aliases.list()).map(toModelAliasMessage) };
    },

    async setModelAlias(req) {
      const alias = req.alias.trim();
      const targetModel = req.targetModel.trim();
      const check = checkModelAlias(alias, targetModel);
      if (!check.ok) throw invalidArgument(check.field, check.problem);
      return { alias: toModelAliasMessage(await aliases.set(alias, targetModel)) };
    },

    async deleteModelAlias(req) {
      const alias = checkNonEmpty("alias", req.alias);
      if (!(await aliases.delete(alias))) throw notFound("model alias", alias);
      return {};
    },
  };
}

/** The admin ModelAlias message of a record. */
export function toModelAliasMessage(record: ModelAliasRecord): MessageInitShape<typeof ModelAliasSchema> {
  return {
    alias: record.alias,
    targetModel: record.targetModel,
    platform: platformToProto(record.platform),
    updatedAt: optionalTimestamp(record.updatedAtMs),
  };
}

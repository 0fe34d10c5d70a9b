/** `claude-relay keys create|list|revoke`: the relay's own API keys through the admin API. */
import { parseArgs } from "node:util";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { ApiKey } from "@claude-relay/proto/admin";
import type { AdminClients } from "./admin-client.js";
import { intOption, requireId } from "./accounts-command.js";
import { formatTime, table } from "./format.js";
import { UsageError } from "./usage-error.js";

export const KEYS_HELP = `claude-relay keys <command>
  create --name N [--concurrency N (0 = unlimited)] [--models m1,m2] [--expires-at ISO] [--json]
  list [--json]
  revoke ID`;

export async function keysCommand(args: string[], admin: AdminClients, out: (line: string) => void): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      name: { type: "string" },
      concurrency: { type: "string" },
      models: { type: "string" },
      "expires-at": { type: "string" },
      json: { type: "boolean" },
    },
    allowPositionals: true,
  });
  switch (sub) {
    case "create": {
      if (!values.name) throw new UsageError("keys create needs --name");
      const expires = values["expires-at"] ? Date.parse(values["expires-at"]) : undefined;
      if (expires !== undefined && Number.isNaN(expires)) throw new UsageError("--expires-at must be an ISO date");
      const res = await admin.apiKeys.createApiKey({
        name: values.name,
        concurrencyLimit: intOption(values.concurrency, "concurrency") ?? 0,
        allowedModels: values.models ? values.models.split(",").map((m) => m.trim()).filter(Boolean) : [],
        expiresAt: expires === undefined ? undefined : timestampFromMs(expires),
      });
      if (values.json) {
        out(JSON.stringify({ id: res.apiKey?.id, name: res.apiKey?.name, key: res.plaintextKey }));
      } else {
        out(`key ${res.apiKey?.id} created (${res.apiKey?.name}). It is shown this once:\n\n  ${res.plaintextKey}\n`);
      }
      return;
    }
    case "list": {
      const { apiKeys } = await admin.apiKeys.listApiKeys({});
      out(values.json ? JSON.stringify(apiKeys) : keyTable(apiKeys));
      return;
    }
    case "revoke": {
      const id = requireId(positionals);
      await admin.apiKeys.revokeApiKey({ id });
      out(`key ${id} revoked`);
      return;
    }
    default:
      throw new UsageError(KEYS_HELP);
  }
}

function keyTable(keys: ApiKey[]): string {
  return table(
    ["ID", "NAME", "PREFIX", "STATE", "CONCURRENCY", "MODELS", "EXPIRES"],
    keys.map((k) => [
      k.id,
      k.name,
      k.keyPrefix,
      k.revokedAt ? "revoked" : k.enabled ? "enabled" : "disabled",
      k.concurrencyLimit === 0 ? "unlimited" : String(k.concurrencyLimit),
      k.allowedModels.length ? k.allowedModels.join(",") : "all",
      formatTime(k.expiresAt ? timestampMs(k.expiresAt) : undefined),
    ]),
  );
}

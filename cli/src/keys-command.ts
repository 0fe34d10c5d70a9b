/**
 * `claude-relay keys create|update|list|revoke`: the relay's own API keys through the
 * admin API, each usable on every platform or only some, with an optional
 * group per platform, and how long its requests may wait for a free slot.
 */
import { parseArgs } from "node:util";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { ApiKey, Platform, PlatformGroupSchema } from "@claude-relay/proto/admin";
import type { AdminClients } from "./admin-client.js";
import { intOption, requireId } from "./accounts-command.js";
import { formatTime, jsonText, table } from "./format.js";
import { PLATFORMS, parsePlatformList, platformName } from "./platforms.js";
import { UsageError } from "./usage-error.js";

export const KEYS_HELP = `claude-relay keys <command>
  create --name N [--concurrency N (0 = unlimited)] [--models m1,m2] [--expires-at ISO] [--json]
         [--platforms claude,gemini,openai (default every platform)]
         [--group-claude G] [--group-gemini G] [--group-openai G] (the group serving the key on that platform)
         [--queue-wait-ms N] (how long a request may wait for a free slot when every account is full;
                             0 = refuse at once; default: the control plane's CONTROL_PLANE_QUEUE_WAIT_MS)
  update ID [--name N] [--concurrency N] [--models m1,m2] [--queue-wait-ms N|default]
  list [--json]
  revoke ID`;

/** The longest wait a key may set, as the admin API allows it: 10 minutes. */
const MAX_QUEUE_WAIT_MS = 600_000;

/** The --queue-wait-ms of `keys create`: ms from 0 to 10 minutes, or undefined for the default. */
export function queueWaitOption(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(value) || value < 0 || value > MAX_QUEUE_WAIT_MS) {
    throw new UsageError(`--queue-wait-ms must be an integer from 0 to ${MAX_QUEUE_WAIT_MS}, got "${raw}"`);
  }
  return value;
}

/** The --queue-wait-ms of `keys update`: a new bound, "default" to go back to the control plane's, or nothing. */
export function queueWaitChange(raw: string | undefined): { queueWaitMs?: number; clearQueueWaitMs?: boolean } {
  if (raw?.trim().toLowerCase() === "default") return { clearQueueWaitMs: true };
  const queueWaitMs = queueWaitOption(raw);
  return queueWaitMs === undefined ? {} : { queueWaitMs };
}

/** The per-platform group options of `keys create`, one per platform in PLATFORMS. */
type GroupOption = "group-claude" | "group-gemini" | "group-openai";

/** The platforms and per-platform groups of `keys create`, checked against each other. */
export function platformScope(values: { platforms?: string } & Partial<Record<GroupOption, string>>): {
  platforms: Platform[];
  platformGroups: MessageInitShape<typeof PlatformGroupSchema>[];
} {
  const platforms = values.platforms === undefined ? [] : parsePlatformList(values.platforms, "--platforms");
  const platformGroups = Object.entries(PLATFORMS).flatMap(([name, platform]) => {
    const group = values[`group-${name}` as GroupOption]?.trim();
    if (!group) return [];
    if (platforms.length > 0 && !platforms.includes(platform)) throw new UsageError(`--group-${name} needs ${name} among --platforms`);
    return [{ platform, group }];
  });
  return { platforms, platformGroups };
}

export async function keysCommand(args: string[], admin: AdminClients, out: (line: string) => void): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      name: { type: "string" },
      concurrency: { type: "string" },
      models: { type: "string" },
      "expires-at": { type: "string" },
      platforms: { type: "string" },
      "group-claude": { type: "string" },
      "group-gemini": { type: "string" },
      "group-openai": { type: "string" },
      "queue-wait-ms": { type: "string" },
      json: { type: "boolean" },
    },
    allowPositionals: true,
  });
  switch (sub) {
    case "create": {
      if (!values.name) throw new UsageError("keys create needs --name");
      const expires = values["expires-at"] ? Date.parse(values["expires-at"]) : undefined;
      if (expires !== undefined && Number.isNaN(expires)) throw new UsageError("--expires-at must be an ISO date");
      const scope = platformScope(values);
      const res = await admin.apiKeys.createApiKey({
        ...scope,
        name: values.name,
        concurrencyLimit: intOption(values.concurrency, "concurrency") ?? 0,
        allowedModels: values.models ? values.models.split(",").map((m) => m.trim()).filter(Boolean) : [],
        expiresAt: expires === undefined ? undefined : timestampFromMs(expires),
        queueWaitMs: queueWaitOption(values["queue-wait-ms"]),
      });
      if (values.json) {
        out(JSON.stringify({ id: res.apiKey?.id, name: res.apiKey?.name, key: res.plaintextKey }));
      } else {
        out(`key ${res.apiKey?.id} created (${res.apiKey?.name}). It is shown this once:\n\n  ${res.plaintextKey}\n`);
      }
      return;
    }
    case "update": {
      const id = requireId(positionals);
      const createOnly = (["expires-at", "platforms", "group-claude", "group-gemini", "group-openai"] as const).find((name) => values[name] !== undefined);
      if (createOnly) throw new UsageError(`keys update does not change --${createOnly}: use the admin UI`);
      const { apiKey } = await admin.apiKeys.updateApiKey({
        ...queueWaitChange(values["queue-wait-ms"]),
        id,
        name: values.name,
        concurrencyLimit: intOption(values.concurrency, "concurrency"),
        ...(values.models !== undefined && { allowedModels: { models: values.models.split(",").map((m) => m.trim()).filter(Boolean) } }),
      });
      out(`key ${apiKey?.id} updated (waits for a free slot: ${waitCell(apiKey ?? {})})`);
      return;
    }
    case "list": {
      const { apiKeys } = await admin.apiKeys.listApiKeys({});
      out(values.json ? jsonText(apiKeys) : keyTable(apiKeys));
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

/** "all", or the platforms a key may use, each with its group when it has one: "gemini(group g)". */
export function platformsCell(key: Pick<ApiKey, "platforms" | "platformGroups">): string {
  const groups = new Map(key.platformGroups.filter((g) => g.group !== "").map((g) => [g.platform, g.group]));
  const named = (platform: Platform): string => {
    const name = platformName(platform) ?? String(platform);
    const group = groups.get(platform);
    return group ? `${name}(group ${group})` : name;
  };
  if (key.platforms.length > 0) return key.platforms.map(named).join(",");
  return groups.size === 0 ? "all" : `all: ${[...groups.keys()].map(named).join(",")}`;
}

/** How long a key's requests may wait for a free slot: "default", "no" (refused at once), or "30s". */
export function waitCell(key: Pick<ApiKey, "queueWaitMs">): string {
  if (key.queueWaitMs === undefined) return "default";
  return key.queueWaitMs === 0 ? "no" : `${key.queueWaitMs / 1000}s`;
}

function keyTable(keys: ApiKey[]): string {
  return table(
    ["ID", "NAME", "PREFIX", "STATE", "PLATFORMS", "CONCURRENCY", "WAIT", "MODELS", "EXPIRES"],
    keys.map((k) => [
      k.id,
      k.name,
      k.keyPrefix,
      k.revokedAt ? "revoked" : k.enabled ? "enabled" : "disabled",
      platformsCell(k),
      k.concurrencyLimit === 0 ? "unlimited" : String(k.concurrencyLimit),
      waitCell(k),
      k.allowedModels.length ? k.allowedModels.join(",") : "all",
      formatTime(k.expiresAt ? timestampMs(k.expiresAt) : undefined),
    ]),
  );
}

/**
 * `claude-relay aliases list|set|delete`: the names clients of the
 * OpenAI-compatible front door may use (e.g. "gpt-4o") for a model the pool
 * serves (e.g. "claude-sonnet-4-5"), through the admin API. The server checks
 * every name; its message is printed as it came.
 */
import { parseArgs } from "node:util";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { ModelAlias } from "@claude-relay/proto/admin";
import type { AdminClients } from "./admin-client.js";
import { formatTime, jsonText, table } from "./format.js";
import { platformName } from "./platforms.js";
import { UsageError } from "./usage-error.js";

export const ALIASES_HELP = `claude-relay aliases <command>   (model names for the OpenAI-compatible API, /openai/v1)
  list [--json]
  set ALIAS TARGET-MODEL   e.g. set gpt-4o claude-sonnet-4-5; the target's prefix (claude-, gemini-) is its platform
  delete ALIAS`;

export async function aliasesCommand(args: string[], admin: AdminClients, out: (line: string) => void): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, options: { json: { type: "boolean" } }, allowPositionals: true });
  switch (sub) {
    case "list": {
      const { aliases } = await admin.modelAliases.listModelAliases({});
      out(values.json ? jsonText(aliases) : aliases.length === 0 ? "no model aliases" : aliasTable(aliases));
      return;
    }
    case "set": {
      const [alias, targetModel, extra] = positionals;
      if (!alias || !targetModel || extra !== undefined) throw new UsageError(`aliases set needs ALIAS and TARGET-MODEL\n\n${ALIASES_HELP}`);
      const res = await admin.modelAliases.setModelAlias({ alias, targetModel });
      if (values.json) out(jsonText(res.alias));
      else out(`alias ${res.alias?.alias} now stands for ${res.alias?.targetModel} (${platformName(res.alias?.platform ?? 0) ?? "unknown platform"})`);
      return;
    }
    case "delete": {
      const [alias, extra] = positionals;
      if (!alias || extra !== undefined) throw new UsageError(`aliases delete needs ALIAS\n\n${ALIASES_HELP}`);
      await admin.modelAliases.deleteModelAlias({ alias });
      out(`alias ${alias} deleted`);
      return;
    }
    default:
      throw new UsageError(ALIASES_HELP);
  }
}

function aliasTable(aliases: ModelAlias[]): string {
  return table(
    ["ALIAS", "TARGET MODEL", "PLATFORM", "UPDATED"],
    aliases.map((a) => [a.alias, a.targetModel, platformName(a.platform) ?? "unknown", formatTime(a.updatedAt ? timestampMs(a.updatedAt) : undefined)]),
  );
}

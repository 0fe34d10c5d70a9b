/**
 * `claude-relay accounts add|list|get|update|remove`: upstream accounts of
 * every platform (Claude Console and OAuth, Gemini API key and OAuth, OpenAI
 * API key and ChatGPT sign-in) through the admin API.
 */
import { parseArgs } from "node:util";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Account } from "@claude-relay/proto/admin";
import { createCredentials, updateCredentials, type CredentialOptions, type ReadText } from "./account-credentials.js";
import type { AdminClients } from "./admin-client.js";
import { formatTime, jsonText, table } from "./format.js";
import { PLATFORMS, accountPlatformName, parseAccountType, platformChoices, typeName } from "./platforms.js";
import { UsageError } from "./usage-error.js";

const FIELDS = {
  name: { type: "string" },
  type: { type: "string" },
  "api-key": { type: "string" },
  "base-url": { type: "string" },
  "access-token": { type: "string" },
  "refresh-token": { type: "string" },
  "expires-at": { type: "string" },
  "credentials-file": { type: "string" },
  "auth-json": { type: "string" },
  project: { type: "string" },
  "token-url": { type: "string" },
  platform: { type: "string" },
  priority: { type: "string" },
  "max-concurrent": { type: "string" },
  schedulable: { type: "string" },
  proxy: { type: "string" },
  json: { type: "boolean" },
} as const;

export const ACCOUNTS_HELP = `claude-relay accounts <command>
  add --name N [--type claude-console|claude-oauth|gemini-api|gemini-oauth|openai-api|openai-oauth] (default claude-console)
      claude-console: --api-key KEY [--base-url URL (default https://api.anthropic.com)]
      gemini-api:     --api-key KEY [--base-url URL (default https://generativelanguage.googleapis.com)]
      openai-api:     --api-key KEY [--base-url URL (default https://api.openai.com/v1;
                      any Responses-compatible base, e.g. https://NAME.openai.azure.com/openai/v1)]
      claude-oauth:   --access-token T [--refresh-token R] [--expires-at ISO] [--token-url URL]
      gemini-oauth:   --credentials-file PATH (the Gemini CLI's ~/.gemini/oauth_creds.json)
                      or --access-token T [--refresh-token R] [--expires-at ISO];
                      [--project ID (Code Assist project; found when omitted)] [--token-url URL]
      openai-oauth:   --auth-json PATH (Codex's ~/.codex/auth.json after \`codex login\` with ChatGPT)
                      [--token-url URL]
      [--priority N] [--max-concurrent N (0 = unlimited)] [--proxy URL] [--schedulable true|false]
  list [--platform claude|gemini|openai] [--json]
  get ID [--json]
  update ID [same options as add, but --type; --project "" finds the project again;
            --credentials-file or --auth-json replaces an OAuth account's tokens]
  remove ID`;

/** The credential options among the parsed ones. */
function credentialOptions(values: Record<string, unknown>): CredentialOptions {
  const names = ["api-key", "base-url", "access-token", "refresh-token", "expires-at", "credentials-file", "auth-json", "project", "token-url"] as const;
  return Object.fromEntries(names.flatMap((name) => (typeof values[name] === "string" ? [[name, values[name]]] : []))) as CredentialOptions;
}

export async function accountsCommand(args: string[], admin: AdminClients, out: (line: string) => void, read?: ReadText): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, options: FIELDS, allowPositionals: true });
  switch (sub) {
    case "add": {
      if (!values.name) throw new UsageError("accounts add needs --name");
      const type = parseAccountType(values.type);
      const credentials = await createCredentials(type, credentialOptions(values), read);
      const { account } = await admin.accounts.createAccount({
        ...credentials,
        name: values.name,
        type,
        priority: intOption(values.priority, "priority") ?? 50,
        maxConcurrentTasks: intOption(values["max-concurrent"], "max-concurrent") ?? 0,
        schedulable: boolOption(values.schedulable),
        proxyUrl: values.proxy ?? "",
      });
      out(values.json ? jsonText(account) : `account ${account?.id} added (${account?.name})`);
      return;
    }
    case "list": {
      const platform = values.platform?.trim().toLowerCase();
      if (platform !== undefined && PLATFORMS[platform] === undefined) throw new UsageError(`--platform: unknown platform "${values.platform}": use ${platformChoices()}`);
      const { accounts } = await admin.accounts.listAccounts({});
      const shown = platform === undefined ? accounts : accounts.filter((a) => accountPlatformName(a) === platform);
      out(values.json ? jsonText(shown) : accountTable(shown));
      return;
    }
    case "get": {
      const { account } = await admin.accounts.getAccount({ id: requireId(positionals) });
      out(values.json ? jsonText(account) : accountTable(account ? [account] : []));
      return;
    }
    case "update": {
      const id = requireId(positionals);
      if (values.type !== undefined) throw new UsageError("an account's type cannot change: add a new account instead");
      const { account } = await admin.accounts.updateAccount({
        ...(await updateCredentials(credentialOptions(values), read)),
        id,
        name: values.name,
        priority: intOption(values.priority, "priority"),
        maxConcurrentTasks: intOption(values["max-concurrent"], "max-concurrent"),
        schedulable: boolOption(values.schedulable),
        proxyUrl: values.proxy,
      });
      out(`account ${account?.id} updated`);
      return;
    }
    case "remove": {
      const id = requireId(positionals);
      await admin.accounts.deleteAccount({ id });
      out(`account ${id} removed`);
      return;
    }
    default:
      throw new UsageError(ACCOUNTS_HELP);
  }
}

function accountTable(accounts: Account[]): string {
  return table(
    ["ID", "PLATFORM", "NAME", "TYPE", "PRIORITY", "SLOTS", "SCHEDULABLE", "LAST USED"],
    accounts.map((a) => [
      a.id,
      accountPlatformName(a),
      a.name,
      typeName(a.type),
      String(a.priority),
      `${a.activeLeases}/${a.maxConcurrentTasks === 0 ? "∞" : a.maxConcurrentTasks}`,
      a.schedulable ? "yes" : "no",
      formatTime(a.lastUsedAt ? timestampMs(a.lastUsedAt) : undefined),
    ]),
  );
}

/** Parses a non-negative integer option; undefined when absent. */
export function intOption(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`--${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function boolOption(raw: string | undefined): boolean | undefined {
  if (raw === undefined) return undefined;
  if (raw === "true" || raw === "false") return raw === "true";
  throw new UsageError(`expected true or false, got "${raw}"`);
}

/** The first positional argument, which names the object acted on. */
export function requireId(positionals: string[]): string {
  const id = positionals[0];
  if (!id) throw new UsageError("an ID is required");
  return id;
}

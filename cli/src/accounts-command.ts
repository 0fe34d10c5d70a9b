/** `claude-relay accounts add|list|get|update|remove`: upstream accounts through the admin API. */
import { parseArgs } from "node:util";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { AccountType, type Account } from "@claude-relay/proto/admin";
import type { AdminClients } from "./admin-client.js";
import { formatTime, table } from "./format.js";
import { UsageError } from "./usage-error.js";

const TYPES: Record<string, AccountType> = {
  "claude-console": AccountType.CLAUDE_CONSOLE,
  console: AccountType.CLAUDE_CONSOLE,
  "claude-oauth": AccountType.CLAUDE_OAUTH,
  oauth: AccountType.CLAUDE_OAUTH,
};

const FIELDS = {
  name: { type: "string" },
  type: { type: "string" },
  "api-key": { type: "string" },
  "base-url": { type: "string" },
  "access-token": { type: "string" },
  "refresh-token": { type: "string" },
  "expires-at": { type: "string" },
  priority: { type: "string" },
  "max-concurrent": { type: "string" },
  schedulable: { type: "string" },
  proxy: { type: "string" },
  json: { type: "boolean" },
} as const;

export const ACCOUNTS_HELP = `claude-relay accounts <command>
  add --name N [--type claude-console|claude-oauth] --api-key KEY [--base-url URL]
      (oauth: --access-token T [--refresh-token R] [--expires-at ISO])
      [--priority N] [--max-concurrent N (0 = unlimited)] [--proxy URL] [--schedulable true|false]
  list [--json]
  get ID [--json]
  update ID [same options as add]
  remove ID`;

export async function accountsCommand(args: string[], admin: AdminClients, out: (line: string) => void): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({ args: rest, options: FIELDS, allowPositionals: true });
  switch (sub) {
    case "add": {
      if (!values.name) throw new UsageError("accounts add needs --name");
      const type = TYPES[values.type ?? "claude-console"];
      if (type === undefined) throw new UsageError(`unknown account type "${values.type}": use claude-console or claude-oauth`);
      const { account } = await admin.accounts.createAccount({
        name: values.name,
        type,
        baseUrl: values["base-url"] ?? "",
        apiKey: values["api-key"] ?? "",
        oauth: type === AccountType.CLAUDE_OAUTH ? oauthTokens(values) : undefined,
        priority: intOption(values.priority, "priority") ?? 50,
        maxConcurrentTasks: intOption(values["max-concurrent"], "max-concurrent") ?? 0,
        schedulable: boolOption(values.schedulable),
        proxyUrl: values.proxy ?? "",
      });
      out(values.json ? JSON.stringify(account) : `account ${account?.id} added (${account?.name})`);
      return;
    }
    case "list": {
      const { accounts } = await admin.accounts.listAccounts({});
      out(values.json ? JSON.stringify(accounts) : accountTable(accounts));
      return;
    }
    case "get": {
      const { account } = await admin.accounts.getAccount({ id: requireId(positionals) });
      out(values.json ? JSON.stringify(account) : accountTable(account ? [account] : []));
      return;
    }
    case "update": {
      const { account } = await admin.accounts.updateAccount({
        id: requireId(positionals),
        name: values.name,
        baseUrl: values["base-url"],
        apiKey: values["api-key"],
        oauth: values["access-token"] ? oauthTokens(values) : undefined,
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
    ["ID", "NAME", "TYPE", "PRIORITY", "SLOTS", "SCHEDULABLE", "LAST USED"],
    accounts.map((a) => [
      a.id,
      a.name,
      a.type === AccountType.CLAUDE_OAUTH ? "claude-oauth" : "claude-console",
      String(a.priority),
      `${a.activeLeases}/${a.maxConcurrentTasks === 0 ? "∞" : a.maxConcurrentTasks}`,
      a.schedulable ? "yes" : "no",
      formatTime(a.lastUsedAt ? timestampMs(a.lastUsedAt) : undefined),
    ]),
  );
}

function oauthTokens(values: { "access-token"?: string; "refresh-token"?: string; "expires-at"?: string }) {
  if (!values["access-token"]) throw new UsageError("claude-oauth accounts need --access-token");
  const expires = values["expires-at"] ? Date.parse(values["expires-at"]) : Number.NaN;
  if (values["expires-at"] && Number.isNaN(expires)) throw new UsageError("--expires-at must be an ISO date");
  return {
    accessToken: values["access-token"],
    refreshToken: values["refresh-token"] ?? "",
    expiresAt: Number.isNaN(expires) ? undefined : timestampFromMs(expires),
    scopes: [],
  };
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

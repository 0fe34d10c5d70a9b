/**
 * The `claude-relay` command: `up` runs the whole system locally; the other
 * commands manage accounts, keys, service tokens, model aliases and
 * notification targets through the admin API.
 */
import { parseArgs } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import { ACCOUNTS_HELP, accountsCommand } from "./accounts-command.js";
import { ALIASES_HELP, aliasesCommand } from "./aliases-command.js";
import { connectAdmin, NoPasswordError } from "./admin-client.js";
import { resolveDataDir } from "./data-dir.js";
import { KEYS_HELP, keysCommand } from "./keys-command.js";
import { NOTIFICATIONS_HELP, notificationsCommand } from "./notifications-command.js";
import { TOKENS_HELP, tokensCommand } from "./tokens-command.js";
import { upCommand } from "./up-command.js";
import { UsageError } from "./usage-error.js";

const HELP = `usage: claude-relay <command>

  up                      start redis (unless REDIS_URL), the control plane and the relay
  accounts ...            manage upstream accounts
  keys ...                manage the relay's API keys
  tokens ...              manage service tokens (scoped credentials for internal services)
  aliases ...             manage model aliases of the OpenAI-compatible API (e.g. gpt-4o → claude-sonnet-4-5)
  notifications ...       manage webhook targets (Slack, Discord, Feishu, DingTalk, WeCom, signed JSON)

global options: --url URL (admin API, default $CLAUDE_RELAY_ADMIN_URL or http://127.0.0.1:8081)
                --username NAME (default $ADMIN_USERNAME or admin)  --password PASSWORD

${ACCOUNTS_HELP}

${KEYS_HELP}

${TOKENS_HELP}

${ALIASES_HELP}

${NOTIFICATIONS_HELP}`;

/** Runs one command and returns the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, out = (line: string) => console.log(line)): Promise<number> {
  const { command, help, rest, globals } = splitArgv(argv);
  if (!command || help) {
    out(HELP);
    return command ? 0 : 2;
  }
  try {
    if (command === "up") return await upCommand(env, out);
    if (!["accounts", "keys", "tokens", "aliases", "notifications"].includes(command)) throw new UsageError(`unknown command "${command}"\n\n${HELP}`);
    const admin = await connectAdmin({
      url: String(globals.url ?? env.CLAUDE_RELAY_ADMIN_URL ?? `http://127.0.0.1:${env.CONTROL_PLANE_HTTP_PORT ?? 8081}`),
      dataDir: resolveDataDir(env),
      username: globals.username ?? env.ADMIN_USERNAME ?? "admin",
      password: globals.password,
    });
    if (command === "accounts") await accountsCommand(rest, admin, out);
    else if (command === "keys") await keysCommand(rest, admin, out);
    else if (command === "tokens") await tokensCommand(rest, admin.serviceTokens, out);
    else if (command === "notifications") return await notificationsCommand(rest, admin.notifications, out);
    else await aliasesCommand(rest, admin, out);
    return 0;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) {
      console.error(`${(err as Error).message}\n(values that start with "-" go as --option=value)`);
      return 2;
    }
    if (err instanceof UsageError) {
      console.error(err.message);
      return 2;
    }
    if (err instanceof ConnectError && err.code === Code.Unavailable) {
      console.error(`error: the admin API is not reachable (${err.rawMessage}): is \`npm start\` running?`);
      return 1;
    }
    if (err instanceof ConnectError || err instanceof NoPasswordError) {
      console.error(`error: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

const GLOBAL_OPTIONS = { url: { type: "string" }, username: { type: "string" }, password: { type: "string" } } as const;
const GLOBALS = new Set(["--url", "--username", "--password"]);

/** argv split into the command word, its own arguments, and the global options (wherever they stand). */
export function splitArgv(argv: string[]): { command: string | undefined; help: boolean; rest: string[]; globals: Record<"url" | "username" | "password", string | undefined> } {
  const { values, positionals } = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: false });
  const [command] = positionals;
  const commandIndex = argv.findIndex((arg, i) => arg === command && !isGlobal(argv, i));
  // `notifications add --url` names the webhook: after that command word, --url is the command's own.
  const owns = (i: number) => command === "notifications" && commandIndex >= 0 && i > commandIndex && isOption(argv, i, "--url");
  const global = (i: number) => isGlobal(argv, i) && !owns(i);
  const globals = parseArgs({ args: argv.filter((_, i) => global(i)), options: GLOBAL_OPTIONS, strict: false }).values;
  return {
    command,
    help: values.help === true,
    rest: argv.filter((_, i) => i !== commandIndex && !global(i)),
    globals: { url: text(globals.url), username: text(globals.username), password: text(globals.password) },
  };
}

function isGlobal(argv: string[], i: number): boolean {
  const arg = argv[i] ?? "";
  if (GLOBALS.has(arg)) return true;
  if ([...GLOBALS].some((g) => arg.startsWith(`${g}=`))) return true;
  return GLOBALS.has(argv[i - 1] ?? "");
}

/** True when argv[i] is the option `name` or its value: `name value` (either word) or `name=value`. */
function isOption(argv: string[], i: number, name: string): boolean {
  const arg = argv[i] ?? "";
  return arg === name || arg.startsWith(`${name}=`) || argv[i - 1] === name;
}

/** A string option's value; parseArgs without strict reads `--url` with no value as true. */
function text(value: string | boolean | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

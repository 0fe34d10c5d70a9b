/**
 * The `claude-relay` command: `up` runs the whole system locally; the other
 * commands manage accounts, keys and model aliases through the admin API.
 */
import { parseArgs } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import { ACCOUNTS_HELP, accountsCommand } from "./accounts-command.js";
import { ALIASES_HELP, aliasesCommand } from "./aliases-command.js";
import { connectAdmin, NoPasswordError } from "./admin-client.js";
import { resolveDataDir } from "./data-dir.js";
import { KEYS_HELP, keysCommand } from "./keys-command.js";
import { TOKENS_HELP, tokensCommand } from "./tokens-command.js";
import { upCommand } from "./up-command.js";
import { UsageError } from "./usage-error.js";

const HELP = `usage: claude-relay <command>

  up                      start redis (unless REDIS_URL), the control plane and the relay
  accounts ...            manage upstream accounts
  keys ...                manage the relay's API keys
  tokens ...              manage service tokens (scoped credentials for internal services)
  aliases ...             manage model aliases of the OpenAI-compatible API (e.g. gpt-4o → claude-sonnet-4-5)

global options: --url URL (admin API, default $CLAUDE_RELAY_ADMIN_URL or http://127.0.0.1:8081)
                --username NAME (default $ADMIN_USERNAME or admin)  --password PASSWORD

${ACCOUNTS_HELP}

${KEYS_HELP}

${TOKENS_HELP}

${ALIASES_HELP}`;

/** Runs one command and returns the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, out = (line: string) => console.log(line)): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { url: { type: "string" }, username: { type: "string" }, password: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: false,
  });
  const [command] = positionals;
  const commandIndex = argv.findIndex((arg, i) => arg === command && !isGlobal(argv, i));
  const rest = argv.filter((_, i) => i !== commandIndex && !isGlobal(argv, i));
  if (!command || values.help) {
    out(HELP);
    return command ? 0 : 2;
  }
  try {
    if (command === "up") return await upCommand(env, out);
    if (command !== "accounts" && command !== "keys" && command !== "tokens" && command !== "aliases") throw new UsageError(`unknown command "${command}"\n\n${HELP}`);
    const admin = await connectAdmin({
      url: String(values.url ?? env.CLAUDE_RELAY_ADMIN_URL ?? `http://127.0.0.1:${env.CONTROL_PLANE_HTTP_PORT ?? 8081}`),
      dataDir: resolveDataDir(env),
      username: String(values.username ?? env.ADMIN_USERNAME ?? "admin"),
      password: typeof values.password === "string" ? values.password : undefined,
    });
    if (command === "accounts") await accountsCommand(rest, admin, out);
    else if (command === "keys") await keysCommand(rest, admin, out);
    else if (command === "tokens") await tokensCommand(rest, admin.serviceTokens, out);
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

const GLOBALS = new Set(["--url", "--username", "--password"]);

function isGlobal(argv: string[], i: number): boolean {
  const arg = argv[i] ?? "";
  if (GLOBALS.has(arg)) return true;
  if ([...GLOBALS].some((g) => arg.startsWith(`${g}=`))) return true;
  return GLOBALS.has(argv[i - 1] ?? "");
}

/**
 * How the CLI names platforms and account types on the command line and in
 * its tables: "claude" and "gemini"; "claude-console", "claude-oauth",
 * "gemini-api" and "gemini-oauth" (plus the older "console" and "oauth" for
 * the Claude types). An account whose server leaves the platform unspecified
 * is placed by its type.
 */
import { AccountType, Platform, type Account } from "@claude-relay/proto/admin";
import { UsageError } from "./usage-error.js";

/** Platforms by their command-line name. */
export const PLATFORMS: Readonly<Record<string, Platform>> = { claude: Platform.CLAUDE, gemini: Platform.GEMINI };

/** Account types by their `--type` name; the first name of each is the one tables show. */
export const ACCOUNT_TYPES: Readonly<Record<string, AccountType>> = {
  "claude-console": AccountType.CLAUDE_CONSOLE,
  "claude-oauth": AccountType.CLAUDE_OAUTH,
  "gemini-api": AccountType.GEMINI_API,
  "gemini-oauth": AccountType.GEMINI_OAUTH,
  console: AccountType.CLAUDE_CONSOLE,
  oauth: AccountType.CLAUDE_OAUTH,
};

/** Where a Gemini API key account sends requests unless `--base-url` says otherwise. */
export const GEMINI_API_BASE_URL = "https://generativelanguage.googleapis.com";

/** The `--type` value of an account type, e.g. "gemini-oauth"; "unknown" for one this CLI does not know. */
export function typeName(type: AccountType): string {
  return Object.keys(ACCOUNT_TYPES).find((name) => ACCOUNT_TYPES[name] === type) ?? "unknown";
}

/** The account type named by `--type`; Claude Console when absent. Throws UsageError for an unknown name. */
export function parseAccountType(raw: string | undefined): AccountType {
  const type = ACCOUNT_TYPES[raw ?? "claude-console"];
  if (type === undefined) throw new UsageError(`unknown account type "${raw}": use claude-console, claude-oauth, gemini-api or gemini-oauth`);
  return type;
}

/** The command-line name of a platform; undefined for UNSPECIFIED or one this CLI does not know. */
export function platformName(platform: Platform): string | undefined {
  return Object.keys(PLATFORMS).find((name) => PLATFORMS[name] === platform);
}

/** The platform an account serves: as the server says, else as its type implies. */
export function accountPlatformName(account: Pick<Account, "platform" | "type">): string {
  const named = platformName(account.platform);
  if (named !== undefined) return named;
  return account.type === AccountType.GEMINI_API || account.type === AccountType.GEMINI_OAUTH ? "gemini" : "claude";
}

/** The platform named by `raw`. Throws UsageError for an unknown name, saying which option it came from. */
export function parsePlatform(raw: string, option: string): Platform {
  const platform = PLATFORMS[raw.trim().toLowerCase()];
  if (platform === undefined) throw new UsageError(`${option}: unknown platform "${raw}": use ${Object.keys(PLATFORMS).join(" or ")}`);
  return platform;
}

/** A comma-separated list of platforms, without repeats, in the order given. */
export function parsePlatformList(raw: string, option: string): Platform[] {
  const names = raw.split(",").filter((name) => name.trim() !== "");
  if (names.length === 0) throw new UsageError(`${option} needs at least one platform: ${Object.keys(PLATFORMS).join(",")}`);
  return [...new Set(names.map((name) => parsePlatform(name, option)))];
}

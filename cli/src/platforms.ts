/**
 * How the CLI names platforms and account types on the command line and in
 * its tables: "claude", "gemini" and "openai"; "claude-console",
 * "claude-oauth", "gemini-api", "gemini-oauth", "openai-api" and
 * "openai-oauth" (plus the older "console" and "oauth" for the Claude types).
 * An account whose server leaves the platform unspecified is placed by its
 * type.
 */
import { AccountType, Platform, type Account } from "@claude-relay/proto/admin";
import { UsageError } from "./usage-error.js";

/** Platforms by their command-line name. */
export const PLATFORMS: Readonly<Record<string, Platform>> = { claude: Platform.CLAUDE, gemini: Platform.GEMINI, openai: Platform.OPENAI };

/** Account types by their `--type` name; the first name of each is the one tables show. */
export const ACCOUNT_TYPES: Readonly<Record<string, AccountType>> = {
  "claude-console": AccountType.CLAUDE_CONSOLE,
  "claude-oauth": AccountType.CLAUDE_OAUTH,
  "gemini-api": AccountType.GEMINI_API,
  "gemini-oauth": AccountType.GEMINI_OAUTH,
  "openai-api": AccountType.OPENAI_API,
  "openai-oauth": AccountType.OPENAI_OAUTH,
  console: AccountType.CLAUDE_CONSOLE,
  oauth: AccountType.CLAUDE_OAUTH,
};

/** Where a Gemini API key account sends requests unless `--base-url` says otherwise. */
export const GEMINI_API_BASE_URL = "https://generativelanguage.googleapis.com";

/** Where an OpenAI API key account sends requests unless `--base-url` says otherwise. */
export const OPENAI_API_BASE_URL = "https://api.openai.com/v1";

/** The command-line platform of each account type the CLI knows. */
const TYPE_PLATFORMS: Readonly<Partial<Record<AccountType, string>>> = {
  [AccountType.CLAUDE_CONSOLE]: "claude",
  [AccountType.CLAUDE_OAUTH]: "claude",
  [AccountType.GEMINI_API]: "gemini",
  [AccountType.GEMINI_OAUTH]: "gemini",
  [AccountType.OPENAI_API]: "openai",
  [AccountType.OPENAI_OAUTH]: "openai",
};

/** The `--type` value of an account type, e.g. "gemini-oauth"; "unknown" for one this CLI does not know. */
export function typeName(type: AccountType): string {
  return Object.keys(ACCOUNT_TYPES).find((name) => ACCOUNT_TYPES[name] === type) ?? "unknown";
}

/** The account type named by `--type`; Claude Console when absent. Throws UsageError for an unknown name. */
export function parseAccountType(raw: string | undefined): AccountType {
  const type = ACCOUNT_TYPES[raw ?? "claude-console"];
  if (type === undefined) {
    throw new UsageError(`unknown account type "${raw}": use claude-console, claude-oauth, gemini-api, gemini-oauth, openai-api or openai-oauth`);
  }
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
  return TYPE_PLATFORMS[account.type] ?? "claude";
}

/** The platform names as a choice in a sentence: "claude, gemini or openai". */
export function platformChoices(): string {
  const names = Object.keys(PLATFORMS);
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

/** The platform named by `raw`. Throws UsageError for an unknown name, saying which option it came from. */
export function parsePlatform(raw: string, option: string): Platform {
  const platform = PLATFORMS[raw.trim().toLowerCase()];
  if (platform === undefined) throw new UsageError(`${option}: unknown platform "${raw}": use ${platformChoices()}`);
  return platform;
}

/** A comma-separated list of platforms, without repeats, in the order given. */
export function parsePlatformList(raw: string, option: string): Platform[] {
  const names = raw.split(",").filter((name) => name.trim() !== "");
  if (names.length === 0) throw new UsageError(`${option} needs at least one platform: ${Object.keys(PLATFORMS).join(",")}`);
  return [...new Set(names.map((name) => parsePlatform(name, option)))];
}

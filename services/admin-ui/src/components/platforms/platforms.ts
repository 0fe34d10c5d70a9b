/**
 * The platforms an account serves (Claude, Gemini, OpenAI) and the account
 * types of each, as the UI names them. An account's platform comes from the server;
 * an older server leaves it unspecified, and then the type tells it (every
 * type belongs to exactly one platform). The usage API names platforms by
 * their wire id ("claude", "gemini", "openai"), the rest of the API by the enum.
 */
import { AccountType, Platform, type Account } from "@claude-relay/proto/admin";

/** A platform by its wire id, as in usage ids and the `platform.*` messages. */
export type PlatformId = "claude" | "gemini" | "openai";

/** Every platform, in the order the UI lists them. */
export const PLATFORM_IDS: readonly PlatformId[] = ["claude", "gemini", "openai"];

/** Where a Gemini API key account sends requests unless told otherwise. */
export const GEMINI_API_BASE_URL = "https://generativelanguage.googleapis.com";

/** Where a Claude Console account sends requests unless told otherwise. */
export const CLAUDE_API_BASE_URL = "https://api.anthropic.com";

/** Where an OpenAI API key account sends requests unless told otherwise. */
export const OPENAI_API_BASE_URL = "https://api.openai.com/v1";

/** What the UI knows of an account type. */
export interface AccountTypeInfo {
  type: AccountType;
  platform: PlatformId;
  /** An API key against a base URL, or OAuth tokens. */
  credential: "api-key" | "oauth";
  /** The message key of its short name, e.g. "Console". */
  labelKey: string;
  /** The message key of its full name, e.g. "Claude Console key". */
  longLabelKey: string;
}

/** Every account type the UI offers, in the order the add-account form lists them. */
export const ACCOUNT_TYPES: readonly AccountTypeInfo[] = [
  { type: AccountType.CLAUDE_CONSOLE, platform: "claude", credential: "api-key", labelKey: "accountType.console", longLabelKey: "accountType.claudeConsole" },
  { type: AccountType.CLAUDE_OAUTH, platform: "claude", credential: "oauth", labelKey: "accountType.oauth", longLabelKey: "accountType.claudeOauth" },
  { type: AccountType.GEMINI_API, platform: "gemini", credential: "api-key", labelKey: "accountType.apiKey", longLabelKey: "accountType.geminiApi" },
  { type: AccountType.GEMINI_OAUTH, platform: "gemini", credential: "oauth", labelKey: "accountType.oauth", longLabelKey: "accountType.geminiOauth" },
  { type: AccountType.OPENAI_API, platform: "openai", credential: "api-key", labelKey: "accountType.apiKey", longLabelKey: "accountType.openaiApi" },
  { type: AccountType.OPENAI_OAUTH, platform: "openai", credential: "oauth", labelKey: "accountType.oauth", longLabelKey: "accountType.openaiOauth" },
];

/** The UI's account type info of `type`; undefined for UNSPECIFIED or a type newer than the UI. */
export function accountTypeInfo(type: AccountType): AccountTypeInfo | undefined {
  return ACCOUNT_TYPES.find((info) => info.type === type);
}

/** True for the types that hold OAuth tokens. */
export function isOAuthType(type: AccountType): boolean {
  return accountTypeInfo(type)?.credential === "oauth";
}

/** The wire id of a Platform value; undefined for UNSPECIFIED or a newer platform. */
export function platformId(platform: Platform): PlatformId | undefined {
  if (platform === Platform.CLAUDE) return "claude";
  if (platform === Platform.GEMINI) return "gemini";
  if (platform === Platform.OPENAI) return "openai";
  return undefined;
}

const PLATFORM_ENUMS: Readonly<Record<PlatformId, Platform>> = { claude: Platform.CLAUDE, gemini: Platform.GEMINI, openai: Platform.OPENAI };

/** The Platform value of a wire id. */
export function platformEnum(id: PlatformId): Platform {
  return PLATFORM_ENUMS[id];
}

/** The platform an account serves: as the server says, else as its type implies (Claude when neither says). */
export function accountPlatform(account: Pick<Account, "platform" | "type">): PlatformId {
  return platformId(account.platform) ?? accountTypeInfo(account.type)?.platform ?? "claude";
}

/** True for a known platform wire id. */
export function isPlatformId(value: string): value is PlatformId {
  return (PLATFORM_IDS as readonly string[]).includes(value);
}

/** The message key of a platform's name; unknown ids get the "other" name. */
export function platformLabelKey(id: string): string {
  return isPlatformId(id) ? `platform.${id}` : "platform.other";
}

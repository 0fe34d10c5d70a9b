/**
 * The account types the control plane serves, each on one platform, and what
 * every part of the control plane needs to know of a type without knowing the
 * provider: its platform, the kind of credential it holds and its default base
 * URL. Provider-specific behaviour (OAuth endpoints, project discovery, prices)
 * lives in `providers/<platform>/`.
 */

/** A family of upstream accounts; the wire name used in Redis, metrics and the admin API's usage ids. */
export type PlatformName = "claude" | "gemini" | "openai";

/** How an account reaches the upstream. */
export type AccountType = "claude-console" | "claude-oauth" | "gemini-api" | "gemini-oauth" | "openai-api" | "openai-oauth";

/** What the rest of the control plane knows of an account type. */
export interface AccountTypeInfo {
  platform: PlatformName;
  /** The credential an account of this type stores. */
  credential: "api-key" | "oauth";
  /** Where its requests go unless the account names another base URL. */
  defaultBaseUrl: string;
  /** True when its requests name a project the account belongs to (Code Assist). */
  namesProject?: boolean;
  /** True when its requests name the ChatGPT account (workspace) it signed in to (the Codex backend). */
  namesChatGptAccount?: boolean;
}

/** Every account type, in the order the admin UI lists them. */
export const ACCOUNT_TYPES: Readonly<Record<AccountType, AccountTypeInfo>> = Object.freeze({
  "claude-console": { platform: "claude", credential: "api-key", defaultBaseUrl: "https://api.anthropic.com" },
  "claude-oauth": { platform: "claude", credential: "oauth", defaultBaseUrl: "https://api.anthropic.com" },
  "gemini-api": { platform: "gemini", credential: "api-key", defaultBaseUrl: "https://generativelanguage.googleapis.com" },
  "gemini-oauth": { platform: "gemini", credential: "oauth", defaultBaseUrl: "https://cloudcode-pa.googleapis.com", namesProject: true },
  "openai-api": { platform: "openai", credential: "api-key", defaultBaseUrl: "https://api.openai.com/v1" },
  "openai-oauth": { platform: "openai", credential: "oauth", defaultBaseUrl: "https://chatgpt.com/backend-api/codex", namesChatGptAccount: true },
});

/** Every platform, in a stable order. */
export const PLATFORMS: readonly PlatformName[] = ["claude", "gemini", "openai"];

/** True for a known account type. */
export function isAccountType(value: string): value is AccountType {
  return Object.hasOwn(ACCOUNT_TYPES, value);
}

/** The platform an account type serves. */
export function platformOf(type: AccountType): PlatformName {
  return ACCOUNT_TYPES[type].platform;
}

/**
 * True for a ChatGPT account (workspace) id as the sign-in's token names it (a UUID today). It goes
 * out in the chatgpt-account-id header, so it is kept to a safe alphabet.
 */
export function isChatGptAccountId(value: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/.test(value);
}

/**
 * True for a project id an account may name: a Google Cloud project id (6–30 lowercase letters,
 * digits and hyphens) or a project name the Code Assist API handed out. It ends up in request
 * bodies, so it is kept to a safe alphabet.
 */
export function isProjectId(value: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/.test(value);
}

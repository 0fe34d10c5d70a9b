/**
 * The credential options of `accounts add` and `accounts update`, turned into
 * request fields for the account's type: a key and base URL for the API key
 * types, tokens for Claude OAuth, for Gemini OAuth either the Gemini CLI's
 * credentials file (read from disk and sent as it is) or tokens, and for
 * OpenAI OAuth Codex's auth.json of a ChatGPT sign-in (sent as it is; the
 * server reads the tokens and the ChatGPT account id from it). Options that
 * do not fit the type are refused rather than ignored. A file's contents
 * never appear in an error message.
 */
import { readFile } from "node:fs/promises";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AccountType, type CreateAccountRequestSchema, type OAuthTokensSchema, type UpdateAccountRequestSchema } from "@claude-relay/proto/admin";
import { GEMINI_API_BASE_URL, OPENAI_API_BASE_URL, typeName } from "./platforms.js";
import { UsageError } from "./usage-error.js";

/** The credential options as parsed. */
export interface CredentialOptions {
  "api-key"?: string;
  "base-url"?: string;
  "access-token"?: string;
  "refresh-token"?: string;
  "expires-at"?: string;
  "credentials-file"?: string;
  "auth-json"?: string;
  project?: string;
  "token-url"?: string;
}

/** Reads a file as text; a parameter so tests need no disk. */
export type ReadText = (path: string) => Promise<string>;

const readText: ReadText = (path) => readFile(path, "utf8");

/** Which options each type takes besides the common ones. */
const ALLOWED: Readonly<Record<number, readonly (keyof CredentialOptions)[]>> = {
  [AccountType.CLAUDE_CONSOLE]: ["api-key", "base-url"],
  [AccountType.GEMINI_API]: ["api-key", "base-url"],
  [AccountType.CLAUDE_OAUTH]: ["access-token", "refresh-token", "expires-at", "token-url"],
  [AccountType.GEMINI_OAUTH]: ["access-token", "refresh-token", "expires-at", "token-url", "credentials-file", "project"],
  [AccountType.OPENAI_API]: ["api-key", "base-url"],
  [AccountType.OPENAI_OAUTH]: ["auth-json", "token-url"],
};

function refuseOthers(type: AccountType, values: CredentialOptions): void {
  const allowed = ALLOWED[type] ?? [];
  const stray = (Object.keys(values) as (keyof CredentialOptions)[]).find((name) => values[name] !== undefined && !allowed.includes(name));
  if (stray !== undefined) throw new UsageError(`--${stray} does not apply to ${typeName(type)} accounts`);
}

/** OAuth tokens from --access-token, --refresh-token and --expires-at. */
export function oauthTokens(values: CredentialOptions, type: string): MessageInitShape<typeof OAuthTokensSchema> {
  if (!values["access-token"]) throw new UsageError(`${type} accounts need --access-token`);
  const expires = values["expires-at"] ? Date.parse(values["expires-at"]) : Number.NaN;
  if (values["expires-at"] && Number.isNaN(expires)) throw new UsageError("--expires-at must be an ISO date");
  return {
    accessToken: values["access-token"],
    refreshToken: values["refresh-token"] ?? "",
    expiresAt: Number.isNaN(expires) ? undefined : timestampFromMs(expires),
    scopes: [],
  };
}

/** The Gemini CLI credentials file named by --credentials-file, checked to be JSON. */
export async function readCredentialsFile(path: string, read: ReadText = readText): Promise<string> {
  let text: string;
  try {
    text = await read(path);
  } catch (err) {
    throw new UsageError(`--credentials-file: cannot read ${path} (${(err as { code?: string }).code ?? "error"})`);
  }
  try {
    JSON.parse(text);
  } catch {
    throw new UsageError(`--credentials-file: ${path} is not JSON; pass the Gemini CLI's ~/.gemini/oauth_creds.json as it is`);
  }
  return text.trim();
}

/**
 * Codex's auth.json named by --auth-json, checked to hold a ChatGPT sign-in
 * (`tokens.access_token` or `tokens.refresh_token`). A file holding only
 * OPENAI_API_KEY is from an API key login: that key makes an openai-api account.
 */
export async function readCodexAuthFile(path: string, read: ReadText = readText): Promise<string> {
  let text: string;
  try {
    text = await read(path);
  } catch (err) {
    throw new UsageError(`--auth-json: cannot read ${path} (${(err as { code?: string }).code ?? "error"})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`--auth-json: ${path} is not JSON; pass Codex's ~/.codex/auth.json as it is`);
  }
  const record = (value: unknown): Record<string, unknown> | undefined =>
    typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  const present = (value: unknown) => typeof value === "string" && value !== "";
  const tokens = record(record(parsed)?.tokens);
  if (tokens !== undefined && (present(tokens.access_token) || present(tokens.refresh_token))) return text.trim();
  if (present(record(parsed)?.OPENAI_API_KEY)) {
    throw new UsageError(`--auth-json: ${path} holds an API key, not a ChatGPT sign-in; add that key with --type openai-api --api-key instead`);
  }
  throw new UsageError(`--auth-json: ${path} holds no ChatGPT sign-in tokens; run \`codex login\` and sign in with ChatGPT first`);
}

function oneSource(values: CredentialOptions): void {
  const given = (["credentials-file", "auth-json", "access-token"] as const).filter((name) => values[name] !== undefined);
  if (given.length > 1) throw new UsageError(`give ${given.map((name) => `--${name}`).join(" or ")}, not both`);
}

/** The credential fields of a CreateAccount request for `type`. */
export async function createCredentials(
  type: AccountType,
  values: CredentialOptions,
  read: ReadText = readText,
): Promise<MessageInitShape<typeof CreateAccountRequestSchema>> {
  refuseOthers(type, values);
  switch (type) {
    case AccountType.GEMINI_API:
      return { baseUrl: values["base-url"] ?? GEMINI_API_BASE_URL, apiKey: values["api-key"] ?? "" };
    case AccountType.CLAUDE_OAUTH:
      return { oauth: oauthTokens(values, "claude-oauth"), tokenUrl: values["token-url"] ?? "" };
    case AccountType.GEMINI_OAUTH: {
      oneSource(values);
      const common = { projectId: values.project ?? "", tokenUrl: values["token-url"] ?? "" };
      const file = values["credentials-file"];
      if (file !== undefined) return { ...common, credentialsJson: await readCredentialsFile(file, read) };
      if (values["access-token"] === undefined) {
        throw new UsageError("gemini-oauth accounts need --credentials-file (the Gemini CLI's ~/.gemini/oauth_creds.json) or --access-token");
      }
      return { ...common, oauth: oauthTokens(values, "gemini-oauth") };
    }
    case AccountType.OPENAI_API:
      return { baseUrl: values["base-url"] ?? OPENAI_API_BASE_URL, apiKey: values["api-key"] ?? "" };
    case AccountType.OPENAI_OAUTH: {
      const file = values["auth-json"];
      if (file === undefined) throw new UsageError("openai-oauth accounts need --auth-json (Codex's ~/.codex/auth.json, signed in with ChatGPT)");
      return { credentialsJson: await readCodexAuthFile(file, read), tokenUrl: values["token-url"] ?? "" };
    }
    default:
      return { baseUrl: values["base-url"] ?? "", apiKey: values["api-key"] ?? "" };
  }
}

/** The credential fields of an UpdateAccount request: only the options given. */
export async function updateCredentials(values: CredentialOptions, read: ReadText = readText): Promise<MessageInitShape<typeof UpdateAccountRequestSchema>> {
  oneSource(values);
  const file = values["credentials-file"];
  const authJson = values["auth-json"];
  return {
    baseUrl: values["base-url"],
    apiKey: values["api-key"],
    oauth: values["access-token"] ? oauthTokens(values, "OAuth") : undefined,
    projectId: values.project,
    tokenUrl: values["token-url"],
    ...(file !== undefined && { credentialsJson: await readCredentialsFile(file, read) }),
    ...(authJson !== undefined && { credentialsJson: await readCodexAuthFile(authJson, read) }),
  };
}

/**
 * The credential and provider fields of the account admin calls, checked per
 * account type from what ACCOUNT_TYPES and the type's provider say: which
 * credential a type takes (api_key, oauth, or a provider's credentials file),
 * whether it names a project or a token URL, and the setup its provider runs
 * before the account is stored. A failed check names the proto field.
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { OAuthTokens } from "@claude-relay/proto/admin";
import type { AccountCredential, AccountType } from "../../accounts/account-store.js";
import type { AccountProvider, AccountSetupInput, SignInHints } from "../../providers/account-provider.js";
import { ACCOUNT_TYPES, isProjectId } from "../../providers/account-types.js";
import { BASE_URL_PROTOCOLS, checkUrl, invalidArgument } from "./field-checks.js";

/** The credential fields of a create or update request. */
export interface CredentialFields {
  apiKey?: string | undefined;
  oauth?: OAuthTokens | undefined;
  /** "" when not given. */
  credentialsJson: string;
}

/** A credential as the request gave it, with what a pasted sign-in file said beyond its tokens. */
export interface GivenCredential {
  credential: AccountCredential;
  hints?: SignInHints;
}

/** What setUpAccount settled: the credential and the per-type fields to store, and a name to use when none was given. */
export interface SettledAccount {
  credential: AccountCredential;
  projectId: string;
  chatgptAccountId: string;
  suggestedName?: string;
}

/** Every type's proto enum name, for messages: "ACCOUNT_TYPE_CLAUDE_CONSOLE, … or ACCOUNT_TYPE_GEMINI_OAUTH". */
export function accountTypeNames(): string {
  const names = Object.keys(ACCOUNT_TYPES).map((t) => `ACCOUNT_TYPE_${t.toUpperCase().replace(/-/g, "_")}`);
  return `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

/**
 * The credential the request carries for an account of `type`; undefined when it carries none.
 * A credential of the other kind is refused outright, so a key never lands on an OAuth account.
 */
export function credentialFor(type: AccountType, provider: AccountProvider, fields: CredentialFields): GivenCredential | undefined {
  const kind = ACCOUNT_TYPES[type].credential;
  const file = fields.credentialsJson.trim();
  if (file !== "" && !(kind === "oauth" && provider.parseCredentialsFile)) throw invalidArgument("credentials_json", `is not taken by ${type} accounts`);
  if (kind === "api-key") {
    if (fields.oauth !== undefined) throw invalidArgument("oauth", `is only for ${typesWith((t) => ACCOUNT_TYPES[t].credential === "oauth")} accounts; ${type} accounts take api_key`);
    const key = fields.apiKey?.trim() ?? "";
    return key === "" ? undefined : { credential: { kind: "api-key", apiKey: key } };
  }
  if (fields.apiKey !== undefined) throw invalidArgument("api_key", `is only for ${typesWith((t) => ACCOUNT_TYPES[t].credential === "api-key")} accounts; ${type} accounts take oauth`);
  if (file !== "" && provider.parseCredentialsFile) {
    if (fields.oauth !== undefined) throw invalidArgument("credentials_json", "give either oauth or credentials_json, not both");
    const parsed = provider.parseCredentialsFile(file);
    if (!parsed.ok) throw invalidArgument("credentials_json", parsed.reason);
    return { credential: parsed.credential, ...(parsed.hints && { hints: parsed.hints }) };
  }
  const accessToken = fields.oauth?.accessToken.trim() ?? "";
  if (fields.oauth === undefined || accessToken === "") return undefined;
  return {
    credential: {
      kind: "oauth",
      accessToken,
      refreshToken: fields.oauth.refreshToken.trim(),
      expiresAtMs: fields.oauth.expiresAt ? timestampMs(fields.oauth.expiresAt) : 0,
      scopes: fields.oauth.scopes,
    },
  };
}

/** True when an account of `type` may be created without a name: its provider's setup names it. */
export function mayGoUnnamed(type: AccountType | undefined, provider: AccountProvider | undefined): boolean {
  return type !== undefined && provider?.namesAccounts?.includes(type) === true;
}

/** What to say when a request that needs a credential carries none. */
export function missingCredential(type: AccountType, provider: AccountProvider, problem: string): ConnectError {
  if (ACCOUNT_TYPES[type].credential === "api-key") return invalidArgument("api_key", `${problem} for ${type} accounts`);
  if (provider.parseCredentialsFile) return invalidArgument("oauth.access_token", `or credentials_json ${problem} for ${type} accounts`);
  return invalidArgument("oauth.access_token", `${problem} for ${type} accounts`);
}

/** The name of an account created without one: the sign-in's email, else its type and ChatGPT account. */
export function unnamedAccountName(type: AccountType, settled: Pick<SettledAccount, "suggestedName" | "chatgptAccountId">): string {
  return settled.suggestedName || [type, settled.chatgptAccountId].filter(Boolean).join(" ");
}

/** A project id for a type that names one; "" stays "" (find it). */
export function checkProjectId(type: AccountType, value: string): string {
  const trimmed = value.trim();
  if (trimmed === "") return "";
  if (!ACCOUNT_TYPES[type].namesProject) throw invalidArgument("project_id", `is only for ${typesWith((t) => ACCOUNT_TYPES[t].namesProject === true)} accounts`);
  if (!isProjectId(trimmed)) throw invalidArgument("project_id", "must be at most 128 letters, digits, '_', '-', '.' or ':'");
  return trimmed;
}

/** A token URL for an OAuth type; "" stays "" (the platform's default). */
export function checkTokenUrl(type: AccountType, value: string): string {
  if (value === "") return "";
  if (ACCOUNT_TYPES[type].credential !== "oauth") throw invalidArgument("token_url", `is only for ${typesWith((t) => ACCOUNT_TYPES[t].credential === "oauth")} accounts`);
  return checkUrl("token_url", value, BASE_URL_PROTOCOLS);
}

/**
 * Runs the provider's setup (Gemini OAuth: a fresh token, the Code Assist project; ChatGPT: a fresh
 * token, the ChatGPT account id); FailedPrecondition with its secret-free reason when the account
 * cannot be used. Without a setup, the input stands.
 */
export async function setUpAccount(provider: AccountProvider, input: AccountSetupInput): Promise<SettledAccount> {
  const known = input.chatgptAccountId ?? "";
  if (!provider.setUp) return { credential: input.credential, projectId: input.projectId, chatgptAccountId: known };
  const result = await provider.setUp(input);
  if (!result.ok) throw new ConnectError(`${input.type} account setup failed: ${result.reason}`, Code.FailedPrecondition);
  return {
    credential: result.credential,
    projectId: result.projectId,
    chatgptAccountId: result.chatgptAccountId ?? known,
    ...(result.suggestedName && { suggestedName: result.suggestedName }),
  };
}

/** The types that pass `test`, in ACCOUNT_TYPES order: "claude-oauth and gemini-oauth". */
function typesWith(test: (type: AccountType) => boolean): string {
  const types = (Object.keys(ACCOUNT_TYPES) as AccountType[]).filter(test);
  return types.length > 1 ? `${types.slice(0, -1).join(", ")} and ${types.at(-1)}` : (types[0] ?? "no");
}

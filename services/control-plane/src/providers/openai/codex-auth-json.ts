/**
 * Reads Codex CLI's sign-in file (`~/.codex/auth.json`) as an admin pastes it
 * into an OAuth credential for an openai-oauth account. The file (codex-rs
 * login, `AuthDotJson` and `TokenData`) holds `auth_mode`, `OPENAI_API_KEY`
 * (an API key, null after a ChatGPT sign-in; ignored here), `tokens`
 * {`id_token`, `access_token`, `refresh_token`, `account_id`} and
 * `last_refresh`. The access token's expiry is its JWT `exp`. Reasons name
 * fields, never their values.
 */
import type { CredentialsFileResult } from "../account-provider.js";
import { isChatGptAccountId } from "../account-types.js";
import { jwtExpiresAtMs } from "./chatgpt-token-claims.js";

/** Largest paste accepted; the real file is a few kilobytes. */
const MAX_CHARS = 64 * 1024;
const WHOLE_FILE = "paste the whole of ~/.codex/auth.json";
const SIGN_IN_AGAIN = "sign in with ChatGPT in Codex again and paste the new file";

/** The OAuth credential and the ChatGPT account in a pasted auth.json, or what is wrong with the paste. */
export function parseCodexAuthJson(text: string): CredentialsFileResult {
  const fail = (reason: string): CredentialsFileResult => ({ ok: false, reason });
  if (text.length > MAX_CHARS) return fail("is larger than a Codex auth.json");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(`is not JSON; ${WHOLE_FILE}`);
  }
  if (!isObject(value)) return fail(`must be a JSON object; ${WHOLE_FILE}`);
  const tokens = value.tokens;
  if (tokens === undefined || tokens === null) {
    const apiKeyOnly = typeof value.OPENAI_API_KEY === "string" || value.auth_mode === "apikey";
    return fail(apiKeyOnly ? "holds an API key, not a ChatGPT sign-in; add it as an openai-api account instead" : `has no tokens; ${WHOLE_FILE}`);
  }
  if (!isObject(tokens)) return fail("tokens must be an object");
  for (const field of ["id_token", "access_token", "refresh_token", "account_id"]) {
    if (tokens[field] !== undefined && tokens[field] !== null && typeof tokens[field] !== "string") return fail(`tokens.${field} must be a string`);
  }
  const tokenField = (field: string) => ((tokens[field] as string | null | undefined) ?? "").trim();
  const refreshToken = tokenField("refresh_token");
  if (refreshToken === "") return fail(`has no tokens.refresh_token; ${SIGN_IN_AGAIN}`);
  const accountId = tokenField("account_id");
  if (accountId !== "" && !isChatGptAccountId(accountId)) return fail("tokens.account_id is not a ChatGPT account id");
  const accessToken = tokenField("access_token");
  const idToken = tokenField("id_token");
  // A token without a known expiry reads as long expired (1 ms), so it is refreshed before use.
  const expiresAtMs = jwtExpiresAtMs(accessToken) || 1;
  return {
    ok: true,
    credential: { kind: "oauth", accessToken, refreshToken, expiresAtMs, scopes: [] },
    hints: { ...(idToken !== "" && { idToken }), ...(accountId !== "" && { chatgptAccountId: accountId }) },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

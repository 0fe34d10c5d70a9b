/**
 * Reads the Gemini CLI's credentials file (`~/.gemini/oauth_creds.json`) as an
 * admin pastes it into an OAuth credential. The file is google-auth-library's
 * `Credentials` object as the CLI caches it (gemini-cli,
 * packages/core/src/code_assist/oauth2.ts, `cacheCredentials`):
 * `access_token`, `refresh_token`, `scope` (space-separated), `token_type`
 * ("Bearer"), `id_token` and `expiry_date` (ms since the epoch). Reasons name
 * fields, never their values.
 */
import type { CredentialsFileResult } from "../account-provider.js";

/** Largest paste accepted; the real file is a few kilobytes. */
const MAX_CHARS = 64 * 1024;

/** The OAuth credential in a pasted oauth_creds.json, or what is wrong with the paste. */
export function parseGeminiCliCredentials(text: string): CredentialsFileResult {
  const fail = (reason: string): CredentialsFileResult => ({ ok: false, reason });
  if (text.length > MAX_CHARS) return fail("is larger than a Gemini CLI credentials file");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail("is not JSON; paste the whole of ~/.gemini/oauth_creds.json");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("must be a JSON object (~/.gemini/oauth_creds.json)");
  const file = value as Record<string, unknown>;
  // A service account key or an `authorized_user` ADC file has a `type` and no tokens of its own.
  if (typeof file.type === "string" && file.access_token === undefined) {
    return fail(`is a Google "${file.type === "service_account" ? "service_account" : "application default"}" credentials file, not the Gemini CLI's oauth_creds.json`);
  }
  for (const field of ["access_token", "refresh_token", "scope", "token_type", "id_token"]) {
    if (file[field] !== undefined && file[field] !== null && typeof file[field] !== "string") return fail(`${field} must be a string`);
  }
  const accessToken = ((file.access_token as string | undefined) ?? "").trim();
  const refreshToken = ((file.refresh_token as string | undefined) ?? "").trim();
  if (refreshToken === "") return fail("has no refresh_token; sign in with the Gemini CLI again and paste the new file");
  const tokenType = file.token_type as string | undefined;
  if (tokenType && tokenType.toLowerCase() !== "bearer") return fail("token_type must be Bearer");
  const expiry = file.expiry_date;
  if (expiry !== undefined && expiry !== null && (typeof expiry !== "number" || !Number.isFinite(expiry) || expiry < 0)) {
    return fail("expiry_date must be a time in milliseconds");
  }
  return {
    ok: true,
    credential: {
      kind: "oauth",
      accessToken,
      refreshToken,
      // A token without a known expiry reads as long expired (1 ms), so it is refreshed before use.
      expiresAtMs: typeof expiry === "number" && expiry > 0 ? Math.round(expiry) : 1,
      scopes: typeof file.scope === "string" ? file.scope.split(/\s+/).filter(Boolean) : [],
    },
  };
}

/**
 * Reads what the control plane needs from the JWTs a ChatGPT sign-in hands
 * out: the ChatGPT account (workspace) id and plan under the
 * `https://api.openai.com/auth` claim, the email (top-level `email`, or the
 * `https://api.openai.com/profile` claim), and a token's `exp`. The tokens
 * come from OpenAI's own token endpoint over TLS, or from a file the admin
 * pasted; nothing here verifies a signature, and nothing read here grants
 * anything: the upstream checks the token on every call.
 */

/** The claim OpenAI puts the ChatGPT account fields under. */
const AUTH_CLAIM = "https://api.openai.com/auth";
/** The claim OpenAI puts the profile (email) under. */
const PROFILE_CLAIM = "https://api.openai.com/profile";
/** A JWT longer than this is not one of OpenAI's (they are a few kilobytes). */
const MAX_JWT_CHARS = 16 * 1024;

/** What a ChatGPT id_token (or access token) says of the signed-in user; "" for what it does not say. */
export interface ChatGptClaims {
  /** The ChatGPT account (workspace) id requests name in chatgpt-account-id. */
  accountId: string;
  email: string;
  /** "free", "plus", "pro", "team", ... */
  planType: string;
}

/** The payload of a JWT (its middle part, base64url JSON); undefined when `token` is not a JWT. */
export function jwtPayload(token: string): Record<string, unknown> | undefined {
  if (token.length > MAX_JWT_CHARS) return undefined;
  const parts = token.split(".");
  if (parts.length !== 3 || parts[1] === "" || !/^[A-Za-z0-9_-]+$/.test(parts[1] ?? "")) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(parts[1] as string, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The ChatGPT fields of a token; empty strings when it is not a JWT or does not carry them. */
export function chatGptClaims(token: string): ChatGptClaims {
  const payload = jwtPayload(token) ?? {};
  const auth = objectAt(payload, AUTH_CLAIM);
  const profile = objectAt(payload, PROFILE_CLAIM);
  return {
    accountId: stringAt(auth, "chatgpt_account_id"),
    email: stringAt(payload, "email") || stringAt(profile, "email"),
    planType: stringAt(auth, "chatgpt_plan_type"),
  };
}

/** When a JWT expires (its `exp`, in ms); 0 when it is not a JWT or has no usable `exp`. */
export function jwtExpiresAtMs(token: string): number {
  const exp = jwtPayload(token)?.exp;
  return typeof exp === "number" && Number.isFinite(exp) && exp > 0 ? Math.round(exp * 1000) : 0;
}

function objectAt(value: Record<string, unknown>, key: string): Record<string, unknown> {
  const found = value[key];
  return typeof found === "object" && found !== null && !Array.isArray(found) ? (found as Record<string, unknown>) : {};
}

function stringAt(value: Record<string, unknown>, key: string): string {
  const found = value[key];
  return typeof found === "string" ? found.trim() : "";
}

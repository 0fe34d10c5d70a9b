/**
 * Tries an account: one tiny Messages request (`max_tokens: 1`) to its base
 * URL with its credential, sent the way the relay sends it, without a lease.
 * The answer is reduced to ok, status, latency and the upstream's error type
 * and message; the credential is scrubbed from anything that goes back. The
 * request goes through the account's proxy (HTTP CONNECT or SOCKS5) when it
 * has one, as the relay's would.
 */
import { fetch } from "undici";
import type { AccountCredential } from "./account-store.js";
import { proxyDispatcher } from "./proxy-dispatcher.js";

/** The model tried when the account allows every model (or only wildcards). */
export const DEFAULT_TEST_MODEL = "claude-haiku-4-5";
/** How long a test may take, headers and body together. */
export const DEFAULT_TEST_TIMEOUT_MS = 15_000;
const ANTHROPIC_VERSION = "2023-06-01";
const OAUTH_BETA = "oauth-2025-04-20";
const MAX_MESSAGE_CHARS = 500;

/** What to try. */
export interface AccountTestTarget {
  baseUrl: string;
  credential: AccountCredential;
  model: string;
  /** The account's proxy URL (socks5://, socks5h://, http://, https://); empty or absent for direct. */
  proxyUrl?: string;
}

/** How the try went. */
export interface AccountTestResult {
  ok: boolean;
  /** 0 when no answer came. */
  httpStatus: number;
  latencyMs: number;
  /** The upstream's error type, or "timeout" / "connection_error"; "" when ok. */
  errorType: string;
  /** "" when ok; never carries the credential. */
  errorMessage: string;
  model: string;
}

/** Tries accounts. */
export interface AccountTester {
  /** Never throws for upstream failures: they come back as a result that is not ok. */
  test(target: AccountTestTarget): Promise<AccountTestResult>;
}

/** Options of createAccountTester. */
export interface AccountTesterOptions {
  timeoutMs?: number;
  now?: () => number;
}

/** The model to try: the first allowed model without a wildcard, else DEFAULT_TEST_MODEL. */
export function pickTestModel(allowedModels: readonly string[]): string {
  return allowedModels.find((m) => m !== "" && !m.endsWith("*")) ?? DEFAULT_TEST_MODEL;
}

/** The request headers for a credential, as the relay sets them. */
export function testRequestHeaders(credential: AccountCredential): Record<string, string> {
  const headers: Record<string, string> = { "content-type": "application/json", "anthropic-version": ANTHROPIC_VERSION };
  if (credential.kind === "api-key") headers["x-api-key"] = credential.apiKey;
  else {
    headers.authorization = `Bearer ${credential.accessToken}`;
    headers["anthropic-beta"] = OAUTH_BETA;
  }
  return headers;
}

/** Builds a tester over undici's fetch. */
export function createAccountTester(options: AccountTesterOptions = {}): AccountTester {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
  const now = options.now ?? Date.now;

  return {
    async test({ baseUrl, credential, model, proxyUrl = "" }) {
      const started = now();
      const secrets = credential.kind === "api-key" ? [credential.apiKey] : [credential.accessToken, credential.refreshToken];
      const proxy = proxyUrl === "" ? undefined : proxyDispatcher(proxyUrl);
      if (proxy?.password) secrets.push(proxy.password);
      const result = (fields: Omit<AccountTestResult, "latencyMs" | "model">): AccountTestResult => ({
        ...fields,
        errorMessage: scrub(fields.errorMessage, secrets),
        latencyMs: Math.max(0, Math.round(now() - started)),
        model,
      });
      try {
        const response = await fetch(new URL("v1/messages", withSlash(baseUrl)), {
          method: "POST",
          headers: testRequestHeaders(credential),
          body: JSON.stringify({ model, max_tokens: 1, messages: [{ role: "user", content: "ping" }] }),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: "manual",
          ...(proxy && { dispatcher: proxy.dispatcher }),
        });
        const text = await response.text();
        if (response.ok) return result({ ok: true, httpStatus: response.status, errorType: "", errorMessage: "" });
        const error = readErrorBody(text);
        return result({
          ok: false,
          httpStatus: response.status,
          errorType: error.type || `http_${response.status}`,
          errorMessage: error.message || text.slice(0, MAX_MESSAGE_CHARS) || response.statusText,
        });
      } catch (err) {
        const timedOut = (err as Error).name === "TimeoutError" || (err as Error).name === "AbortError";
        return result({
          ok: false,
          httpStatus: 0,
          errorType: timedOut ? "timeout" : "connection_error",
          errorMessage: timedOut ? `no answer within ${timeoutMs} ms` : describeFetchError(err),
        });
      } finally {
        await proxy?.dispatcher.close().catch(() => {});
      }
    },
  };
}

/** The `error.type` and `error.message` of an Anthropic error body; empty strings when it is not one. */
export function readErrorBody(text: string): { type: string; message: string } {
  try {
    const body = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } };
    const type = typeof body.error?.type === "string" ? body.error.type : "";
    const message = typeof body.error?.message === "string" ? body.error.message.slice(0, MAX_MESSAGE_CHARS) : "";
    return { type, message };
  } catch {
    return { type: "", message: "" };
  }
}

// fetch reports "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND, ...) is in the cause.
function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === "string") return `${cause.code}: ${String(cause.message ?? "")}`.slice(0, MAX_MESSAGE_CHARS);
  return String((err as Error).message ?? err).slice(0, MAX_MESSAGE_CHARS);
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("***");
  return out;
}

function withSlash(baseUrl: string): string {
  return baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
}

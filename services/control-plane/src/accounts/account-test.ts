/**
 * Tries an account: one tiny request to its base URL with its credential,
 * without a lease. What is sent (a one-token Messages call, a one-token
 * generateContent, a small Responses call) and how an error body (or an
 * error inside a 2xx stream) reads are the account's provider's;
 * this module sends it, times it and reduces the answer to ok, status,
 * latency and the upstream's error type and message, with the credential
 * scrubbed from anything that goes back. The request goes through the
 * account's proxy (HTTP CONNECT or SOCKS5) when it has one, as the relay's
 * would.
 */
import { fetch } from "undici";
import type { AccountProviders } from "../providers/account-provider.js";
import { buildAccountProviders } from "../providers/registry.js";
import type { AccountCredential, AccountType } from "./account-store.js";
import { proxyDispatcher } from "./proxy-dispatcher.js";

/** How long a test may take, headers and body together. */
export const DEFAULT_TEST_TIMEOUT_MS = 15_000;
const MAX_MESSAGE_CHARS = 500;

/** What to try. */
export interface AccountTestTarget {
  type: AccountType;
  baseUrl: string;
  credential: AccountCredential;
  model: string;
  /** The account's proxy URL (socks5://, socks5h://, http://, https://); empty or absent for direct. */
  proxyUrl?: string;
  /** The account's Code Assist project (gemini-oauth); empty or absent for none. */
  projectId?: string;
  /** The ChatGPT account an openai-oauth account names; empty or absent for none. */
  chatgptAccountId?: string;
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
  /** Each type's request and error body (default: every provider on its defaults). */
  providers?: Pick<AccountProviders, "forType">;
  timeoutMs?: number;
  now?: () => number;
}

/** The model to try: the first allowed model without a wildcard, else the provider's small default. */
export function pickTestModel(allowedModels: readonly string[], fallback: string): string {
  return allowedModels.find((m) => m !== "" && !m.endsWith("*")) ?? fallback;
}

/** Builds a tester over undici's fetch. */
export function createAccountTester(options: AccountTesterOptions = {}): AccountTester {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const providers = options.providers ?? buildAccountProviders();

  return {
    async test({ type, baseUrl, credential, model, proxyUrl = "", projectId = "", chatgptAccountId = "" }) {
      const provider = providers.forType(type);
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
        const request = provider.testRequest({ type, baseUrl, credential, model, projectId, chatgptAccountId });
        const response = await fetch(request.url, {
          method: "POST",
          headers: request.headers,
          body: request.body,
          signal: AbortSignal.timeout(timeoutMs),
          redirect: "manual",
          ...(proxy && { dispatcher: proxy.dispatcher }),
        });
        const text = await response.text();
        const failure = response.ok ? request.failureIn?.(text) : undefined;
        if (response.ok && failure === undefined) return result({ ok: true, httpStatus: response.status, errorType: "", errorMessage: "" });
        if (failure !== undefined) return result({ ok: false, httpStatus: response.status, errorType: failure.type, errorMessage: failure.message });
        const error = provider.readErrorBody(text);
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

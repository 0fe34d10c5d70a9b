/**
 * One try of one webhook request: a POST with a deadline, answered as a value
 * (never thrown), so the loop decides about retries in one place. The answer's
 * body is read only to free the connection; an error names the status or the
 * network failure, never the URL, which may hold the target's token.
 */
import type { WebhookRequest } from "./webhook-formats.js";

/** How one try went. */
export type SendResult = { ok: true; statusCode: number } | { ok: false; statusCode: number; error: string; /** Worth trying again. */ retryable: boolean };

/** Sends a webhook request. */
export type WebhookSender = (request: WebhookRequest) => Promise<SendResult>;

/** Options of createWebhookSender. */
export interface WebhookSenderOptions {
  /** A try that has not been answered in this long fails (default 5 s). */
  timeoutMs?: number;
  /** The fetch to use (tests). */
  fetch?: typeof fetch;
}

/** A sender over fetch. */
export function createWebhookSender(options: WebhookSenderOptions = {}): WebhookSender {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const doFetch = options.fetch ?? fetch;
  return async (request) => {
    let response: Response;
    try {
      response = await doFetch(request.url, {
        method: "POST",
        headers: request.headers,
        body: request.body,
        redirect: "manual",
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      return { ok: false, statusCode: 0, error: timedOut ? `no answer within ${timeoutMs} ms` : networkError(err), retryable: true };
    }
    await response.arrayBuffer().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, statusCode: response.status };
    // A refusal of the request itself (bad URL, bad token) stays one on a retry; throttling and server errors may not.
    const retryable = response.status >= 500 || response.status === 429 || response.status === 408;
    return { ok: false, statusCode: response.status, error: `the target answered ${response.status}`, retryable };
  };
}

function networkError(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String((cause as { code: unknown }).code) : "";
  return code ? `connection failed (${code})` : "connection failed";
}

/**
 * How an upstream attempt ended, as the Outcome reported in Release, from which
 * the control plane decides the account's health (rate-limited until the
 * announced reset, overloaded, unauthorized, circuit open). Pure: status,
 * headers and error in, Outcome out.
 *
 * Only the headers that describe the account's state travel, as the provider
 * that served the answer names them (for Claude: with an error status
 * `retry-after` and every `anthropic-ratelimit-*`, with a 2xx only the
 * subscription windows). What a provider read off an error body (its hints: a
 * signal, a retry delay, a detail) rides along. Details are short and
 * secret-free: built here from error codes or by the provider, never from an
 * upstream message or a URL.
 */
import { create } from "@bufbuild/protobuf";
import { type Outcome, OutcomeKind, OutcomeSchema } from "@claude-relay/proto/lease";
import type { AccountHints } from "../providers/provider.js";

type Headers = Record<string, string | string[] | undefined>;

/** What happened to one upstream attempt. */
export type AttemptEnd =
  /** The upstream answered and the whole body reached the client (or was held for failover). */
  | { kind: "response"; status: number; headers: Headers; streamError?: { type: string }; streamIncomplete?: boolean; hints?: AccountHints }
  /** No response: connect failure, reset, timeout before headers, or an account that cannot be called. */
  | { kind: "connection-failure"; error?: unknown; detail?: string }
  /** The response began, then broke or went silent. */
  | { kind: "stream-interrupted"; status: number; headers: Headers; error: unknown }
  /** The client went away first (or the relay shut down: not the account's doing either). */
  | { kind: "client-aborted"; status?: number; headers?: Headers; detail?: string };

/** The response headers that describe the account's state, lower-case; a provider's. */
export type AccountHeaders = (headers: Headers, success: boolean) => Record<string, string>;

/** The Outcome for Release, with the account headers the serving provider names. */
export function classifyOutcome(end: AttemptEnd, accountHeaders: AccountHeaders): Outcome {
  switch (end.kind) {
    case "response": {
      const headers = accountHeaders(end.headers, isSuccess(end.status));
      if (end.status < 200 || end.status >= 300) {
        const hints = end.hints;
        if (hints === undefined) {
          return create(OutcomeSchema, { kind: OutcomeKind.UPSTREAM_ERROR, status: end.status, headers, detail: `upstream answered ${end.status}` });
        }
        if (hints.retryAfterMs > 0) headers["retry-after"] = String(Math.ceil(hints.retryAfterMs / 1000));
        return create(OutcomeSchema, {
          kind: OutcomeKind.UPSTREAM_ERROR,
          status: end.status,
          headers,
          signal: hints.signal,
          detail: hints.detail || `upstream answered ${end.status}`,
        });
      }
      if (end.streamError) {
        return create(OutcomeSchema, {
          kind: OutcomeKind.STREAM_INTERRUPTED,
          status: end.status,
          headers,
          detail: `upstream sent an error event: ${safeToken(end.streamError.type)}`,
        });
      }
      if (end.streamIncomplete) {
        return create(OutcomeSchema, { kind: OutcomeKind.STREAM_INTERRUPTED, status: end.status, headers, detail: "stream ended before its final event" });
      }
      return create(OutcomeSchema, { kind: OutcomeKind.SUCCESS, status: end.status, headers });
    }
    case "connection-failure":
      return create(OutcomeSchema, { kind: OutcomeKind.CONNECTION_FAILURE, status: 0, detail: end.detail ?? describeError(end.error) });
    case "stream-interrupted":
      return create(OutcomeSchema, {
        kind: OutcomeKind.STREAM_INTERRUPTED,
        status: end.status,
        headers: accountHeaders(end.headers, isSuccess(end.status)),
        detail: describeError(end.error),
      });
    case "client-aborted":
      return create(OutcomeSchema, {
        kind: OutcomeKind.CLIENT_ABORTED,
        status: end.status ?? 0,
        headers: end.headers ? accountHeaders(end.headers, isSuccess(end.status ?? 0)) : {},
        detail: end.detail ?? "client closed the connection",
      });
    default:
      return assertNever(end);
  }
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

const DETAIL_BY_CODE: Readonly<Record<string, string>> = {
  UND_ERR_CONNECT_TIMEOUT: "connect timeout",
  UND_ERR_HEADERS_TIMEOUT: "no response headers in time",
  UND_ERR_BODY_TIMEOUT: "upstream went silent mid-response",
  UND_ERR_SOCKET: "connection closed by the upstream",
  UND_ERR_CLOSED: "connection closed",
  UND_ERR_DESTROYED: "connection destroyed",
  UND_ERR_ABORTED: "request aborted",
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: "response shorter than its content-length",
  UND_ERR_PRX_TLS: "proxy TLS failure",
  ERR_RELAY_SHUTDOWN: "relay shut down before the response ended",
  ERR_RELAY_PROXY_UNSUPPORTED: "account proxy is not supported",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "connection timed out",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "DNS lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EPIPE: "connection broken",
  ERR_TLS_CERT_ALTNAME_INVALID: "TLS certificate does not match the host",
  DEPTH_ZERO_SELF_SIGNED_CERT: "TLS certificate is self-signed",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "TLS certificate cannot be verified",
  CERT_HAS_EXPIRED: "TLS certificate has expired",
};

/**
 * A short, secret-free description of a failure: the connector's own detail for a
 * connection it could not open (it names the target and proxy label, see
 * connect-error.ts), else a known phrase for the code, else the code itself.
 */
export function describeError(error: unknown): string {
  const detail = connectDetail(error);
  if (detail !== undefined) return detail;
  const code = errorCode(error);
  if (code === undefined) return "upstream request failed";
  return DETAIL_BY_CODE[code] ?? `upstream request failed (${safeToken(code)})`;
}

/** The `detail` of an UpstreamConnectError anywhere in the cause chain (matched on its code prefix). */
function connectDetail(error: unknown): string | undefined {
  for (let e = error, depth = 0; typeof e === "object" && e !== null && depth < 4; depth++) {
    const { code, detail } = e as { code?: unknown; detail?: unknown };
    if (typeof code === "string" && code.startsWith("ERR_RELAY_") && typeof detail === "string") return detail;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorCode(error: unknown): string | undefined {
  for (let e = error, depth = 0; typeof e === "object" && e !== null && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") {
      // undici wraps socket errors; the cause names what actually happened.
      if (code === "UND_ERR_SOCKET" || code === "UND_ERR_CONNECT") {
        const inner = errorCode((e as { cause?: unknown }).cause);
        return inner ?? code;
      }
      return code;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function safeToken(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 64);
}

function assertNever(value: never): never {
  throw Object.assign(new Error(`unhandled attempt end: ${JSON.stringify(value)}`), { code: "ERR_RELAY_UNHANDLED_OUTCOME" });
}

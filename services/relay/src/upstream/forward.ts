/**
 * One upstream call: the request the client sent, re-addressed to the account's
 * base URL and re-signed with the account's credential, sent through an undici
 * dispatcher with the client's body bytes as they arrived.
 *
 * The client's own credentials and hop-by-hop headers are stripped by
 * upstreamRequestHeaders, and the provider signs the request with the account's
 * credential; every other header (anthropic-version, anthropic-beta,
 * user-agent, x-stainless-*, …) passes untouched. The response is handed to a
 * sink chunk by chunk through undici's dispatch handler, with no stream in
 * between, so backpressure is a pause/resume on the upstream socket.
 */
import type { IncomingHttpHeaders } from "node:http";
import { upstreamRequestHeaders } from "@claude-relay/anthropic";
import type { UpstreamAccount } from "@claude-relay/proto/lease";
import type { Dispatcher } from "undici";

/** Where and how to send one upstream request. */
export interface UpstreamRequest {
  origin: string;
  /** Base-URL path prefix + the client's path and query. */
  path: string;
  headers: Record<string, string | string[]>;
}

/** The upstream request for an account, or why the account cannot be called. */
export type BuildResult = { ok: true; request: UpstreamRequest } | { ok: false; detail: string };

/** Puts an account's credential on upstream headers; returns why it cannot, or undefined. */
export type SignRequest<A> = (headers: Record<string, string | string[]>, account: A) => string | undefined;

/**
 * Builds the upstream request for `account` from the path and query to call on
 * its base URL and the client's headers, signed by the provider's `sign`;
 * `bodyLength` is undefined for a request without a body.
 */
export function buildUpstreamRequest<A extends Pick<UpstreamAccount, "baseUrl">>(
  account: A,
  clientUrl: string,
  clientHeaders: IncomingHttpHeaders,
  bodyLength: number | undefined,
  sign: SignRequest<A>,
): BuildResult {
  let base: URL;
  try {
    base = new URL(account.baseUrl);
  } catch {
    return { ok: false, detail: "account base URL is not valid" };
  }
  if (base.protocol !== "https:" && base.protocol !== "http:") return { ok: false, detail: "account base URL must be http(s)" };
  const prefix = base.pathname.endsWith("/") ? base.pathname.slice(0, -1) : base.pathname;
  const headers = upstreamRequestHeaders(clientHeaders);
  const refused = sign(headers, account);
  if (refused !== undefined) return { ok: false, detail: refused };
  const accept = headers["accept-encoding"];
  if (typeof accept === "string" && accept.includes("zstd")) headers["accept-encoding"] = withoutZstd(accept);
  if (bodyLength !== undefined) headers["content-length"] = String(bodyLength);
  return { ok: true, request: { origin: base.origin, path: prefix + clientUrl, headers } };
}

/**
 * The client's accepted encodings minus zstd: the usage tap inflates gzip, deflate
 * and br for itself, and Node 20 has no zstd, so a zstd answer would go uncounted.
 */
function withoutZstd(accept: string): string {
  const kept = accept
    .split(",")
    .map((coding) => coding.trim())
    .filter((coding) => coding !== "" && !coding.toLowerCase().startsWith("zstd"));
  return kept.length > 0 ? kept.join(", ") : "identity";
}

/** Receives one upstream response. Exactly one of onEnd and onError is called last. */
export interface UpstreamSink {
  onResponse(status: number, headers: IncomingHttpHeaders): void;
  /** Returns false to pause the upstream until resume() is called. */
  onData(chunk: Buffer): boolean;
  onEnd(): void;
  onError(error: Error): void;
}

/** A running upstream call. */
export interface UpstreamCall {
  /** Stops the call; onError follows with `reason`. */
  abort(reason: Error): void;
  /** Resumes a call paused by onData returning false. */
  resume(): void;
}

/** Per-call timeouts; the dispatcher's own apply when omitted. */
export interface ForwardTimeouts {
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

/** Sends the request (with `body`, unless it is a GET) upstream and feeds the response to `sink`. */
export function forward(
  dispatcher: Dispatcher,
  method: "POST" | "GET",
  request: UpstreamRequest,
  body: Buffer | undefined,
  sink: UpstreamSink,
  timeouts: ForwardTimeouts = {},
): UpstreamCall {
  let controller: Dispatcher.DispatchController | undefined;
  let pendingAbort: Error | undefined;
  let done = false;

  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
      if (pendingAbort) c.abort(pendingAbort);
    },
    onResponseStart(_c, statusCode, headers) {
      // 1xx (e.g. 100 Continue) are informational; the real answer follows.
      if (statusCode < 200) return;
      sink.onResponse(statusCode, headers);
    },
    onResponseData(c, chunk) {
      if (done) return;
      if (!sink.onData(chunk)) c.pause();
    },
    onResponseEnd() {
      if (done) return;
      done = true;
      sink.onEnd();
    },
    onResponseError(_c, error) {
      if (done) return;
      done = true;
      sink.onError(error);
    },
  };

  dispatcher.dispatch(
    {
      origin: request.origin,
      path: request.path,
      method,
      headers: request.headers,
      body,
      headersTimeout: timeouts.headersTimeoutMs,
      bodyTimeout: timeouts.bodyTimeoutMs,
    },
    handler,
  );

  return {
    abort(reason) {
      if (done) return;
      if (controller) controller.abort(reason);
      else pendingAbort = reason;
    },
    resume() {
      controller?.resume();
    },
  };
}

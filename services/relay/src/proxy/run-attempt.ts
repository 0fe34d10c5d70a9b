/**
 * One upstream attempt on one leased account, from sending the request to the
 * last byte the client gets. Owns the rule that decides failover: an answer
 * another account might not give (429, 529, 401, 5xx) or a failed connection is
 * held back, never shown, while a retry is still allowed; anything else goes to
 * the client as it arrives — status, headers and body bytes unchanged, with the
 * usage read on the side. Once the head is written the attempt is final: a
 * failure after it can only end an event stream with an `error` event.
 *
 * The request's abort signal (client gone, or shutdown) settles the attempt at
 * once, whatever the upstream is doing, so the lease is released within the tick.
 *
 * With pings on, a passed event stream gets keep-alives of the relay's own (in
 * the front door's form) through long upstream silences, only between complete
 * events (client-pinger.ts), so the upstream's bytes reach the client unchanged
 * and in order around them.
 *
 * Which statuses fail over, how usage is read and how a stream is cut are the
 * provider's; the tap reads the upstream's bytes (held ones too, so an error
 * answer's hints reach Release). When the account speaks another protocol than
 * the client, the plan's translator maps each chunk on its way to the client.
 */
import type { ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { clientResponseHeaders } from "@claude-relay/anthropic";
import { AccountSignal } from "@claude-relay/proto/lease";
import type { Dispatcher } from "undici";
import type { RelayProvider, ResponseTranslator, TapUsage, UpstreamProtocol, UsageTap } from "../providers/provider.js";
import type { RelayMetrics } from "../relay-metrics.js";
import type { AttemptEnd } from "../upstream/classify-outcome.js";
import { type ForwardTimeouts, forward, type UpstreamRequest } from "../upstream/forward.js";
import { type ClientPinger, startClientPinger } from "./client-pinger.js";
import type { RequestAbort } from "./request-abort.js";

/** The abort reason when the client closed its connection. */
export class ClientGoneError extends Error {
  readonly code = "ERR_RELAY_CLIENT_GONE";
  constructor() {
    super("client closed the connection");
    this.name = "ClientGoneError";
  }
}

/** The abort reason when the relay shuts down with the request still running. */
export class ShutdownError extends Error {
  readonly code = "ERR_RELAY_SHUTDOWN";
  constructor() {
    super("relay shut down before the response ended");
    this.name = "ShutdownError";
  }
}

/** An upstream error answer kept back for failover; passed through as is when no retry happens. */
export interface HeldResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Options of runAttempt. */
export interface AttemptOptions {
  dispatcher: Dispatcher;
  /** The front door's provider: stream cuts and pings. */
  provider: RelayProvider;
  /** The account's protocol: failover statuses and the usage tap. */
  protocol: UpstreamProtocol;
  /** Maps the answer to the client's protocol; absent when the bytes pass unchanged. */
  translator?: ResponseTranslator | undefined;
  method: "POST" | "GET";
  request: UpstreamRequest;
  /** The body to send; undefined for a GET. */
  body: Buffer | undefined;
  res: ServerResponse;
  /** Whether a failure before the first byte may be retried on another account. */
  mayRetry: boolean;
  timeouts: ForwardTimeouts;
  /** Upstream silence after which a passed event stream gets a ping; 0 for never. */
  clientPingIntervalMs: number;
  signal: RequestAbort;
  metrics: RelayMetrics;
}

/** How the attempt went. */
export interface AttemptResult {
  end: AttemptEnd;
  usage: TapUsage;
  /** True once the response head went to the client. */
  wroteResponse: boolean;
  /** Set when the attempt failed before the first byte and may be retried; `held` is the answer kept back, if any. */
  retry?: { held?: HeldResponse };
  /** The id a successful answer opened for later requests to continue (the tap's reading), if any. */
  continuation?: string;
  ttfbMs: number;
  latencyMs: number;
}

const EMPTY_USAGE: TapUsage = { model: "", inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 };

/** Most bytes of an error answer held back for failover; a larger one is passed through instead. */
const HOLD_LIMIT_BYTES = 1024 * 1024;

/** Runs one attempt; never rejects. */
export function runAttempt(options: AttemptOptions): Promise<AttemptResult> {
  const { res, metrics, signal, provider, protocol, translator } = options;
  const startedAt = performance.now();
  let ttfbMs = 0;
  let status = 0;
  let headers: Record<string, string | string[] | undefined> = {};
  let mode: "waiting" | "hold" | "pass" = "waiting";
  let held: Buffer[] = [];
  let heldBytes = 0;
  let tap: UsageTap | undefined;
  let isStream = false;
  let waitingForDrain = false;
  let pinger: ClientPinger | undefined;

  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const settle = (end: AttemptEnd, extra: Partial<AttemptResult> = {}): void => {
      if (settled) return;
      settled = true;
      pinger?.stop();
      signal.listen(undefined);
      res.off("drain", onDrain);
      if (mode === "pass") metrics.activeStreams.dec();
      // Read even from an answer cut short: the id may already be stored upstream.
      const continuation = status >= 200 && status < 300 ? tap?.continuation : undefined;
      resolve({
        end,
        usage: tap?.usage ?? EMPTY_USAGE,
        ...(continuation !== undefined && { continuation }),
        wroteResponse: mode === "pass",
        ttfbMs,
        latencyMs: performance.now() - startedAt,
        ...extra,
      });
    };

    const onDrain = (): void => {
      waitingForDrain = false;
      call.resume();
    };

    function pass(): void {
      const clientHeaders = translator ? translator.headers(status, headers) : headers;
      res.writeHead(status, clientResponseHeaders(clientHeaders));
      mode = "pass";
      metrics.activeStreams.inc();
      const contentType = clientHeaders["content-type"];
      isStream = typeof contentType === "string" && contentType.includes("text/event-stream");
      // A stream's head goes out at once, as the upstream sent it; a JSON head rides with its body.
      if (isStream) res.flushHeaders();
      const ping = provider.pingEvent;
      if (isStream && ping !== undefined && options.clientPingIntervalMs > 0) {
        pinger = startClientPinger({ intervalMs: options.clientPingIntervalMs, event: ping, send, writable: () => !settled && !res.destroyed && !waitingForDrain });
      }
    }

    function read(chunk: Buffer): void {
      try {
        tap?.push(chunk);
      } catch {
        tap = undefined;
      }
    }

    /** Sends upstream bytes to the client, translated when the plan says so. */
    function write(chunk: Buffer): void {
      const out = translator ? translator.push(chunk) : chunk;
      if (out.length === 0) return;
      send(out);
      pinger?.forwarded(out);
    }

    function send(chunk: Buffer): void {
      if (!res.write(chunk) && !waitingForDrain) {
        waitingForDrain = true;
        res.once("drain", onDrain);
      }
    }

    /** Ends the client's response after an upstream failure mid-body. */
    function cutResponse(kind: "interrupted" | "shutting-down"): void {
      if (res.destroyed) return;
      if (isStream) res.end(provider.streamError(kind));
      // A JSON body cut short must not look complete: drop the connection instead.
      else res.destroy();
    }

    /** The held answer as the client would get it if no retry happens: in its protocol, when the plan translates. */
    function heldForClient(): HeldResponse {
      const body = Buffer.concat(held, heldBytes);
      if (!translator) return { status, headers, body };
      return { status, headers: translator.headers(status, headers), body: Buffer.concat([translator.push(body), translator.end()]) };
    }

    /** Ends a passed response once the upstream body ended, and settles with what the tap read. */
    function finish(tapEnded: Promise<void>): void {
      const last = translator?.end();
      if (last !== undefined && last.length > 0) send(last);
      res.end();
      tapEnded.then(
        () =>
          settle({
            kind: "response",
            status,
            headers,
            streamError: tap?.errorEvent,
            streamIncomplete: isStream && status >= 200 && status < 300 && tap !== undefined && !tap.complete,
            hints: tap?.hints,
          }),
        () => settle({ kind: "response", status, headers }),
      );
    }

    const call = forward(
      options.dispatcher,
      options.method,
      options.request,
      options.body,
      {
        onResponse(statusCode, responseHeaders) {
          ttfbMs = performance.now() - startedAt;
          metrics.upstreamTtfb.observe(ttfbMs / 1000);
          status = statusCode;
          headers = responseHeaders;
          const contentType = headers["content-type"];
          const encoding = headers["content-encoding"];
          tap = protocol.createTap(typeof contentType === "string" ? contentType : undefined, typeof encoding === "string" ? encoding : undefined, { status, headers });
          if (options.mayRetry && protocol.isFailoverStatus(statusCode)) mode = "hold";
          else pass();
        },
        onData(chunk) {
          if (settled) return true;
          read(chunk);
          if (mode === "pass") {
            write(chunk);
            return !waitingForDrain;
          }
          heldBytes += chunk.length;
          held.push(chunk);
          if (heldBytes > HOLD_LIMIT_BYTES) {
            // Too big to be a plain error answer: stop holding and show it after all.
            pass();
            for (const part of held) write(part);
            held = [];
            return !waitingForDrain;
          }
          return true;
        },
        onEnd() {
          if (settled) return;
          const finished = tap ? tap.end() : Promise.resolve();
          if (mode === "hold") {
            finished.then(
              () => {
                if (settled) return;
                // An answer that says nothing about the account (a bad request) would be the same anywhere: show it.
                if (tap?.hints?.signal === AccountSignal.NONE) {
                  pass();
                  for (const part of held) write(part);
                  held = [];
                  finish(finished);
                  return;
                }
                settle({ kind: "response", status, headers, hints: tap?.hints }, { retry: { held: heldForClient() } });
              },
              () => settle({ kind: "response", status, headers }, { retry: { held: heldForClient() } }),
            );
            return;
          }
          finish(finished);
        },
        onError(error) {
          if (settled) return;
          if (mode === "pass") {
            cutResponse("interrupted");
            settle({ kind: "stream-interrupted", status, headers, error });
          } else if (options.mayRetry) {
            settle({ kind: "connection-failure", error }, { retry: {} });
          } else {
            settle({ kind: "connection-failure", error });
          }
        },
      },
      options.timeouts,
    );

    function onAbort(): void {
      const reason = signal.reason;
      // Settle first: aborting the call reports its own error synchronously, which must not win.
      if (reason instanceof ShutdownError) {
        if (mode === "pass") cutResponse("shutting-down");
        settle({ kind: "client-aborted", status: status || undefined, headers, detail: "relay shut down" });
      } else {
        settle({ kind: "client-aborted", status: status || undefined, headers });
      }
      call.abort(reason instanceof Error ? reason : new ClientGoneError());
    }

    if (signal.aborted) onAbort();
    else signal.listen(onAbort);
  });
}

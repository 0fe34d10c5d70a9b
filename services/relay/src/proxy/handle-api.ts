/**
 * The API routes of every front door: read → Acquire (for the route's platform)
 * → upstream → stream back → Release, with failover while nothing has reached
 * the client. What differs between front doors (reading, error shape, usage,
 * translation) comes from the matched provider and route.
 * Every lease is released in a `finally`, with the attempt's outcome and the
 * usage seen; a client that hangs up aborts the upstream call and frees its slot
 * at once. One log line and one set of metric updates per request.
 *
 * Every request's key is judged first (keys/key-gate.ts), before its body is
 * read or a local answer is given; a key Acquire refuses as invalid has its
 * verdict dropped there, so a revoked key is refused at the gate from its next request.
 *
 * It also keeps the requests in flight, so a shutdown can refuse new ones, wait
 * for those running and then cut the rest (each still releasing its lease).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import { clientResponseHeaders } from "@claude-relay/anthropic";
import { type Logger, scalarLineLogger } from "@claude-relay/logging";
import { OutcomeKind, RefusalReason } from "@claude-relay/proto/lease";
import type { LeaseClient } from "../control-plane/lease-client.js";
import { type RelayFailure, writeErrorResponse } from "../errors.js";
import { discardBody } from "../http/read-body.js";
import type { GateResult, KeyGate } from "../keys/key-gate.js";
import type { ApiRequest, MatchedRoute, RelayProvider } from "../providers/provider.js";
import { type PlatformLabel, platformLabel, type RelayMetrics } from "../relay-metrics.js";
import type { UpstreamPools } from "../upstream/pools.js";
import { type LeaseAttemptResult, runLeaseAttempt } from "./lease-attempt.js";
import { createRequestAbort, type RequestAbort } from "./request-abort.js";
import { ClientGoneError, type HeldResponse, ShutdownError } from "./run-attempt.js";

/** What the handler needs. */
export interface ApiHandlerOptions {
  leases: LeaseClient;
  pools: UpstreamPools;
  metrics: RelayMetrics;
  log: Logger;
  maxBodyBytes: number;
  maxAttempts: number;
  /** The most a request waits in the control plane's queue for a slot; absent or 0 never waits. */
  queueMaxWaitMs?: number;
  upstreamHeadersTimeoutMs: number;
  streamIdleTimeoutMs: number;
  /** Period of `event: ping` keep-alives on a silent stream; 0 for none. */
  clientPingIntervalMs: number;
  /** Judges each request's key before anything else; without it every key goes to Acquire unjudged. */
  gate?: KeyGate;
}

/** The API routes with their in-flight bookkeeping. */
export interface ApiHandler {
  /** Serves one request to the route it matched. */
  handle(req: IncomingMessage, res: ServerResponse, requestId: string, matched: MatchedRoute): Promise<void>;
  /** Judges the key of a request no route matched, answering a refused one in `provider`'s shape. */
  authenticate(req: IncomingMessage, res: ServerResponse, requestId: string, provider: RelayProvider): Promise<GateResult>;
  /** From now on, new requests are answered 503 overloaded_error (shutdown). */
  refuseNew(): void;
  /** Requests running now. */
  readonly inflight: number;
  /** Resolves once no request is running. */
  idle(): Promise<void>;
  /** Cuts every running request (shutdown); each releases its lease. */
  abortAll(): void;
}

/** What the request log line and metrics are made of. */
interface RequestRecord {
  status: number;
  accountId: string;
  keyId: string;
  attempts: number;
  outcome: string;
  /** Why the control plane could not be asked, for the request's log line. */
  error?: string;
  attempt?: LeaseAttemptResult;
}

/** Creates the API handler. */
export function createApiHandler(options: ApiHandlerOptions): ApiHandler {
  const { leases, metrics, log } = options;
  const requestLine = scalarLineLogger(log);
  const running = new Set<RequestAbort>();
  const idleWaiters: Array<() => void> = [];
  let refusing = false;

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string, matched: MatchedRoute): Promise<void> {
    if (refusing) return refuse(req, res, requestId, matched);
    const { provider, route } = matched;
    const writeError = (failure: RelayFailure): number => writeErrorResponse(res, provider.errorResponse(failure, requestId));
    const startedAt = performance.now();
    const abort = createRequestAbort();
    running.add(abort);
    const onClose = (): void => {
      if (!res.writableFinished) abort.abort(new ClientGoneError());
    };
    res.on("close", onClose);
    const record: RequestRecord = { status: 0, accountId: "", keyId: "", attempts: 0, outcome: "" };
    let model = "";
    let platform: PlatformLabel | undefined;
    try {
      const gate = await authenticate(req, res, requestId, provider);
      if (!gate.admitted) {
        record.status = gate.status;
        // Counted as Acquire's refusals of a bad key were, so dashboards and alerts read one series.
        metrics.leaseRefusals.inc({ reason: "KEY_INVALID", platform: platformLabel(provider.platform) });
        return;
      }
      if (gate.keyId !== undefined) record.keyId = gate.keyId;
      if (route.answerLocally) {
        record.status = await route.answerLocally(req, res, requestId);
        return;
      }
      const read = await route.read(req, { maxBodyBytes: options.maxBodyBytes });
      if (!read.ok) {
        if (read.failure) record.status = writeError(read.failure);
        return;
      }
      model = read.request.model;
      if (read.request.platform !== undefined) platform = platformLabel(read.request.platform);
      await proxy(req, res, requestId, matched, read.request, abort, record);
    } catch (error) {
      log.error({ err: error, requestId }, "request failed");
      if (!res.headersSent) record.status = writeError({ kind: "internal" });
      else res.destroy();
    } finally {
      res.off("close", onClose);
      running.delete(abort);
      if (running.size === 0) for (const wake of idleWaiters.splice(0)) wake();
      const seconds = (performance.now() - startedAt) / 1000;
      const status = record.status || (abort.aborted ? 499 : res.statusCode);
      metrics.countRequest(route.label, status, seconds, platform);
      const usage = record.attempt?.usage;
      // Still one line per request; the relay's own 5xx stand out at warn.
      const level = status >= 500 && !record.attempt?.wroteResponse ? "warn" : "info";
      requestLine[level](
        {
          requestId,
          frontDoor: provider.name,
          method: req.method,
          path: req.url,
          status,
          model,
          accountId: record.accountId || undefined,
          keyId: record.keyId || undefined,
          attempts: record.attempts,
          outcome: record.outcome || undefined,
          detail: record.attempt?.outcome.detail || undefined,
          error: record.error,
          latencyMs: Math.round(seconds * 1000),
          ttfbMs: record.attempt ? Math.round(record.attempt.ttfbMs) : undefined,
          inputTokens: usage?.inputTokens,
          outputTokens: usage?.outputTokens,
          cacheCreationInputTokens: usage?.cacheCreationInputTokens,
          cacheReadInputTokens: usage?.cacheReadInputTokens,
        },
        "request",
      );
    }
  }

  async function proxy(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    matched: MatchedRoute,
    request: ApiRequest,
    signal: RequestAbort,
    record: RequestRecord,
  ): Promise<void> {
    const exclude: string[] = [];
    const platform = request.platform ?? matched.provider.platform;
    /** What the client gets if no later attempt answers: the last upstream error, or the last failure. */
    let fallback: { held: HeldResponse } | { failure: RelayFailure } | undefined;
    const userAgent = req.headers["user-agent"] ?? "";

    for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
      if (signal.aborted) break;
      const acquired = await leases.acquire({
        keyHash: request.keyHash,
        model: request.model,
        sessionHash: request.sessionHash,
        excludeAccounts: exclude,
        userAgent,
        requestId,
        platform,
        accountTypes: request.accountTypes ? [...request.accountTypes] : [],
        maxWaitMs: options.queueMaxWaitMs ?? 0,
      }, signal);
      if (acquired.kind === "error") {
        // A client that hung up while its request waited for a slot cancelled the Acquire itself.
        if (signal.aborted) break;
        metrics.controlPlaneErrors.inc();
        record.error = acquired.error.message;
        const kind = acquired.error.code === "ERR_CONTROL_PLANE_UNAVAILABLE" ? "control-plane-unavailable" : "internal";
        fallback ??= { failure: { kind } };
        break;
      }
      if (acquired.kind === "refusal") {
        const { reason, message, retryAfterMs } = acquired.refusal;
        metrics.leaseRefusals.inc({ reason: RefusalReason[reason] ?? String(reason), platform: platformLabel(platform) });
        if (reason === RefusalReason.KEY_INVALID) options.gate?.refused(request.keyHash);
        fallback ??= { failure: { kind: "refusal", reason, message, retryAfterMs } };
        break;
      }
      const lease = acquired.lease;
      record.attempts = attempt;
      record.accountId = lease.account?.id ?? "";
      record.keyId = lease.keyId;
      const result = await runLeaseAttempt(options, {
        req,
        res,
        lease,
        matched,
        request,
        signal,
        mayRetry: attempt < options.maxAttempts,
      });
      record.attempt = result;
      record.outcome = OutcomeKind[result.outcome.kind] ?? "";
      if (!result.retry) {
        if (result.wroteResponse) record.status = res.statusCode;
        else if (result.end.kind === "connection-failure") fallback = { failure: { kind: "upstream-unreachable" } };
        break;
      }
      metrics.failovers.inc();
      exclude.push(lease.account?.id ?? "");
      fallback = result.retry.held ? { held: result.retry.held } : { failure: { kind: "upstream-unreachable" } };
      log.debug({ requestId, accountId: record.accountId, outcome: record.outcome }, "failing over to another account");
    }

    if (res.headersSent || res.destroyed) return;
    if (signal.aborted) {
      // A client that left gets nothing; one cut by a shutdown hears why.
      if (!(signal.reason instanceof ShutdownError)) return;
      fallback = { failure: { kind: "shutting-down" } };
    }
    if (!fallback) return;
    if ("held" in fallback) {
      const { held } = fallback;
      res.writeHead(held.status, clientResponseHeaders(held.headers));
      res.end(held.body);
      record.status = held.status;
    } else {
      record.status = writeErrorResponse(res, matched.provider.errorResponse(fallback.failure, requestId));
    }
  }

  function authenticate(req: IncomingMessage, res: ServerResponse, requestId: string, provider: RelayProvider): Promise<GateResult> {
    return options.gate ? options.gate.admit(req, res, requestId, provider) : Promise.resolve({ admitted: true });
  }

  /** Answers a request that arrived during shutdown, once its body is read, and closes the connection. */
  async function refuse(req: IncomingMessage, res: ServerResponse, requestId: string, matched: MatchedRoute): Promise<void> {
    if (!(await discardBody(req))) return;
    res.setHeader("connection", "close");
    const status = writeErrorResponse(res, matched.provider.errorResponse({ kind: "shutting-down" }, requestId));
    metrics.countRequest(matched.route.label, status);
    log.info({ requestId, method: req.method, path: req.url, status, error: "relay shutting down" }, "request");
  }

  return {
    handle,
    authenticate,
    refuseNew() {
      refusing = true;
    },
    get inflight() {
      return running.size;
    },
    idle() {
      if (running.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    abortAll() {
      for (const abort of running) abort.abort(new ShutdownError());
    },
  };
}

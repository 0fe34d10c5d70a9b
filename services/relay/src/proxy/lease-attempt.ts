/**
 * One attempt on one leased account: the lease is renewed while the attempt runs
 * and released in a `finally` with the attempt's outcome, usage and timings —
 * whatever happened, including an account that cannot be called at all (bad base
 * URL, unsupported proxy), which counts as a connection failure so the request
 * can move on to another account.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { create } from "@bufbuild/protobuf";
import type { Logger } from "@claude-relay/logging";
import { type Lease, type Outcome, OutcomeKind, OutcomeSchema } from "@claude-relay/proto/lease";
import type { LeaseClient } from "../control-plane/lease-client.js";
import { continuationHash } from "../http/read-body.js";
import { startLeaseRenewer } from "../control-plane/lease-renewer.js";
import type { ApiRequest, MatchedRoute, UpstreamProtocol } from "../providers/provider.js";
import type { RelayMetrics } from "../relay-metrics.js";
import { classifyOutcome } from "../upstream/classify-outcome.js";
import { isConnectError } from "../upstream/connect-error.js";
import type { UpstreamPools } from "../upstream/pools.js";
import type { RequestAbort } from "./request-abort.js";
import { type AttemptResult, runAttempt } from "./run-attempt.js";

/** What every attempt needs. */
export interface LeaseAttemptDeps {
  leases: LeaseClient;
  pools: UpstreamPools;
  metrics: RelayMetrics;
  log: Logger;
  upstreamHeadersTimeoutMs: number;
  streamIdleTimeoutMs: number;
  clientPingIntervalMs: number;
}

/** One request's side of an attempt. */
export interface LeaseAttemptInput {
  req: IncomingMessage;
  res: ServerResponse;
  lease: Lease;
  /** The front door and endpoint the request came in on. */
  matched: MatchedRoute;
  /** The request as read: its model is reported when the upstream named none, its session hash goes back with Release. */
  request: ApiRequest;
  signal: RequestAbort;
  mayRetry: boolean;
}

/** An attempt's result with the outcome it was released with. */
export type LeaseAttemptResult = AttemptResult & { outcome: Outcome };

/** Runs one attempt on `input.lease`, renewing it meanwhile and releasing it at the end. */
export async function runLeaseAttempt(deps: LeaseAttemptDeps, input: LeaseAttemptInput): Promise<LeaseAttemptResult> {
  const { lease } = input;
  const renewer = startLeaseRenewer({ leaseId: lease.leaseId, ttlMs: lease.ttlMs, renew: (id) => deps.leases.renew(id), log: deps.log });
  let result: AttemptResult | undefined;
  let outcome: Outcome | undefined;
  try {
    const attempted = await attempt(deps, input);
    result = attempted.result;
    outcome = classifyOutcome(result.end, attempted.protocol?.accountHeaders ?? noAccountHeaders);
    return { ...result, outcome };
  } finally {
    renewer.stop();
    release(deps, input, result, outcome);
  }
}

/** An attempt's result, with the protocol of the account it reached (none when it never did). */
interface Attempted {
  result: AttemptResult;
  protocol?: UpstreamProtocol;
}

function attempt(deps: LeaseAttemptDeps, input: LeaseAttemptInput): Promise<Attempted> | Attempted {
  const { req, lease, signal, mayRetry } = input;
  const { provider, route } = input.matched;
  const account = lease.account;
  const refused = (detail: string): Attempted => ({
    result: {
      end: { kind: "connection-failure", detail },
      usage: { model: "", inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
      wroteResponse: false,
      retry: mayRetry ? {} : undefined,
      ttfbMs: 0,
      latencyMs: 0,
    },
  });
  if (signal.aborted) {
    const aborted = refused("client closed the connection").result;
    return { result: { ...aborted, end: { kind: "client-aborted" }, retry: undefined } };
  }
  if (!account) return refused("lease carries no account");
  const planned = route.plan(account, input.request, req);
  if (!planned.ok) return refused(planned.detail);
  const { plan } = planned;
  const found = deps.pools.get(plan.request.origin, account.proxyUrl);
  if (!found.ok) return refused(found.detail);
  const running = runAttempt({
    dispatcher: found.pool.dispatcher,
    provider,
    protocol: plan.protocol,
    translator: plan.translator,
    method: plan.method,
    request: plan.request,
    body: plan.body,
    res: input.res,
    mayRetry,
    timeouts: { headersTimeoutMs: deps.upstreamHeadersTimeoutMs, bodyTimeoutMs: deps.streamIdleTimeoutMs },
    clientPingIntervalMs: deps.clientPingIntervalMs,
    signal,
    metrics: deps.metrics,
  });
  return running.then((result) => {
    // Connect failures are counted by the pool's connector; these broke on an open connection.
    const end = result.end;
    if ((end.kind === "connection-failure" || end.kind === "stream-interrupted") && end.error !== undefined && !isConnectError(end.error)) {
      found.pool.requestFailed();
    }
    return { result, protocol: plan.protocol };
  });
}

/** Sends Release without waiting for it: the client's answer never waits on bookkeeping. */
function release(deps: LeaseAttemptDeps, input: LeaseAttemptInput, result: AttemptResult | undefined, outcome: Outcome | undefined): void {
  const { lease } = input;
  const { model, sessionHash } = input.request;
  const usage = result?.usage;
  deps.metrics.countAttempt(lease.account?.id ?? "", outcome);
  deps.leases
    .release({
      leaseId: lease.leaseId,
      outcome: outcome ?? create(OutcomeSchema, { kind: OutcomeKind.UNSPECIFIED, detail: "relay internal error" }),
      usage: usage ? { ...usage, model: usage.model || model } : { model },
      latencyMs: Math.round(result?.latencyMs ?? 0),
      ttfbMs: Math.round(result?.ttfbMs ?? 0),
      sessionHash,
      frontDoor: input.matched.provider.name,
      continuationHashes: result?.continuation !== undefined ? [continuationHash(result.continuation)] : [],
    })
    .catch((error: unknown) => {
      deps.metrics.controlPlaneErrors.inc();
      deps.log.warn({ err: error, leaseId: lease.leaseId }, "release failed; the lease will expire on its own");
    });
}

/** For an attempt that never reached an upstream: no headers to read. */
function noAccountHeaders(): Record<string, string> {
  return {};
}

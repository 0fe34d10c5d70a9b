/**
 * The one path of each LeaseService call, shared by the unary methods and the
 * Exchange stream (ListModels and GetKeyUsage are unary only, CheckKey Exchange only): validate the proto request
 * (INVALID_ARGUMENT), call the domain, build the proto response, record the
 * metrics. Refusals stay values inside AcquireResponse, ListModelsResponse, GetKeyUsageResponse and CheckKeyResponse;
 * a renewal miss becomes NOT_FOUND and anything thrown becomes a status
 * through errors.ts. A failure is returned, not thrown, so the unary method
 * can end with it and Exchange can answer it as a CallError.
 */
import { create } from "@bufbuild/protobuf";
import { status } from "@grpc/grpc-js";
import type { Logger } from "@claude-relay/logging";
import {
  AcquireQueuedSchema,
  OutcomeKind,
  ReleaseResponseSchema,
  RenewResponseSchema,
  type AcquireQueued,
  type AcquireRequest,
  type AcquireResponse,
  type CheckKeyRequest,
  type CheckKeyResponse,
  type GetKeyUsageRequest,
  type GetKeyUsageResponse,
  type ListModelsRequest,
  type ListModelsResponse,
  type ReleaseRequest,
  type ReleaseResponse,
  type RenewRequest,
  type RenewResponse,
} from "@claude-relay/proto/lease";
import { isRedisFailure, toGrpcStatus } from "../errors.js";
import type { KeyCheckResult } from "../keys/check-key.js";
import type { KeyUsageResult } from "../keys/key-usage.js";
import type { AcquireInput, AcquireResult } from "../leases/acquire-lease.js";
import { HandBackError } from "../leases/queued-acquire.js";
import { DRAINING_DETAILS } from "./interceptors/draining.js";
import type { ListModelsResult } from "../models/list-models.js";
import type { RefusalCode } from "../leases/refusal.js";
import type { ReleaseInput, ReleaseResult } from "../leases/release-lease.js";
import type { RenewResult } from "../leases/renew-lease.js";
import type { PlatformName } from "../providers/account-types.js";
import type { LeaseMetrics, PlatformLabel } from "./lease-metrics.js";

import { checkKeyHash, MAX_FIELD, requestedPlatform, toAcquireInput, toAcquireResponse, toCheckKeyResponse, toGetKeyUsageResponse, toListModelsResponse, toReleaseInput } from "./lease-messages.js";
/** A failed call: the status a unary method ends with, and what an Exchange CallError carries. */
export interface CallFailure {
  code: status;
  details: string;
}

/** The answer of one call. */
export type CallResult<T> = { ok: true; value: T } | { ok: false; failure: CallFailure };

/** What the lease calls need. */
export interface LeaseCallsDeps {
  acquire(input: AcquireInput): Promise<AcquireResult>;
  renew(leaseId: string): Promise<RenewResult>;
  release(input: ReleaseInput): Promise<ReleaseResult>;
  /** The models a key may use; without it ListModels answers UNIMPLEMENTED. */
  listModels?(keyHash: string): Promise<ListModelsResult>;
  /** A key holder's report on their key, asked from clientAddress; without it GetKeyUsage answers UNIMPLEMENTED. */
  keyUsage?(keyHash: string, clientAddress: string): Promise<KeyUsageResult>;
  /** Whether a key may be used at all; without it CheckKey answers UNIMPLEMENTED. */
  checkKey?(keyHash: string): Promise<KeyCheckResult>;
  metrics: LeaseMetrics;
  log: Logger;
}

/** The LeaseService calls, proto in and proto out; they never reject. */
export interface LeaseCalls {
  /**
   * `stop.signal` ends a wait in the queue (it is read only then): the call then answers a refusal nobody waits for. `onQueued`
   * hears when the request joins the queue (Exchange tells the caller).
   */
  acquire(request: AcquireRequest, stop?: { readonly signal: AbortSignal }, onQueued?: (queued: AcquireQueued) => void): Promise<CallResult<AcquireResponse>>;
  renew(request: RenewRequest): Promise<CallResult<RenewResponse>>;
  release(request: ReleaseRequest): Promise<CallResult<ReleaseResponse>>;
  listModels(request: ListModelsRequest): Promise<CallResult<ListModelsResponse>>;
  getKeyUsage(request: GetKeyUsageRequest): Promise<CallResult<GetKeyUsageResponse>>;
  checkKey(request: CheckKeyRequest): Promise<CallResult<CheckKeyResponse>>;
}


type CounterChild = ReturnType<LeaseMetrics["acquireTotal"]["labels"]>;

/** Builds the lease calls. */
export function createLeaseCalls(deps: LeaseCallsDeps): LeaseCalls {
  const { metrics, log } = deps;
  // Label children looked up once: prom-client resolves and validates the label set on every call otherwise.
  const rpcTimer = {
    acquire: metrics.rpcDuration.labels("acquire"),
    renew: metrics.rpcDuration.labels("renew"),
    release: metrics.rpcDuration.labels("release"),
    listModels: metrics.rpcDuration.labels("list_models"),
    getKeyUsage: metrics.rpcDuration.labels("get_key_usage"),
    checkKey: metrics.rpcDuration.labels("check_key"),
  };
  const acquireCounters = new Map<`${PlatformLabel}/${RefusalCode | "lease" | "error"}`, CounterChild>();
  const releaseCounters = new Map<`${PlatformLabel}/${OutcomeKind}`, CounterChild>();
  const notFound: CallResult<never> = { ok: false, failure: { code: status.NOT_FOUND, details: "lease not found or expired" } };
  const released: CallResult<ReleaseResponse> = { ok: true, value: create(ReleaseResponseSchema, {}) };

  function fail(method: string, err: unknown): CallResult<never> {
    const failure = toGrpcStatus(err);
    if (isRedisFailure(err)) metrics.redisErrors.inc();
    if (failure.code === status.INTERNAL) log.error({ err, method }, "lease call failed");
    else if (failure.code === status.UNAVAILABLE) log.warn({ err: { message: (err as Error).message }, method }, "lease call failed: Redis unavailable");
    return { ok: false, failure };
  }

  function countAcquire(result: RefusalCode | "lease" | "error", platform: PlatformLabel): void {
    let counter = acquireCounters.get(`${platform}/${result}`);
    if (counter === undefined) {
      counter = metrics.acquireTotal.labels({ result: result.toLowerCase(), platform });
      acquireCounters.set(`${platform}/${result}`, counter);
    }
    counter.inc();
  }

  function countRelease(outcome: OutcomeKind, platform: PlatformLabel): void {
    let counter = releaseCounters.get(`${platform}/${outcome}`);
    if (counter === undefined) {
      const name = OutcomeKind[outcome] as string | undefined;
      counter = metrics.releasesTotal.labels({ outcome: (name ?? "UNSPECIFIED").toLowerCase(), platform });
      // Only the enum's own values are kept, so unknown numbers from the wire cannot grow the map.
      if (name !== undefined) releaseCounters.set(`${platform}/${outcome}`, counter);
    }
    counter.inc();
  }

  return {
    async acquire(request, stop, onQueued) {
      const start = performance.now();
      let result: RefusalCode | "lease" | "error" = "error";
      const platform = requestedPlatform(request.platform);
      try {
        const input = toAcquireInput(request, platform, stop);
        if (onQueued) input.onQueued = (place, waitMs) => onQueued(create(AcquireQueuedSchema, { place, waitMs }));
        const answer = await deps.acquire(input);
        result = answer.ok ? "lease" : answer.reason;
        return { ok: true, value: toAcquireResponse(answer) };
      } catch (err) {
        // A waiter handed back keeps its place in the queue; the relay sends it to another replica.
        if (err instanceof HandBackError) return { ok: false, failure: { code: status.UNAVAILABLE, details: DRAINING_DETAILS } };
        return fail("Acquire", err);
      } finally {
        const seconds = (performance.now() - start) / 1000;
        metrics.acquireDuration.observe(seconds);
        rpcTimer.acquire.observe(seconds);
        countAcquire(result, platform ?? "unknown");
      }
    },

    async renew(request) {
      const start = performance.now();
      try {
        const answer = await deps.renew(request.leaseId);
        return answer.ok ? { ok: true, value: create(RenewResponseSchema, { ttlMs: answer.ttlMs }) } : notFound;
      } catch (err) {
        return fail("Renew", err);
      } finally {
        rpcTimer.renew.observe((performance.now() - start) / 1000);
      }
    },

    async release(request) {
      const start = performance.now();
      let outcome: OutcomeKind | undefined;
      let platform: PlatformName | undefined;
      try {
        const input = toReleaseInput(request);
        outcome = input.outcome;
        ({ platform } = await deps.release(input));
        return released;
      } catch (err) {
        return fail("Release", err);
      } finally {
        if (outcome !== undefined) countRelease(outcome, platform ?? "unknown");
        rpcTimer.release.observe((performance.now() - start) / 1000);
      }
    },

    async listModels(request) {
      const start = performance.now();
      try {
        if (!deps.listModels) return { ok: false, failure: { code: status.UNIMPLEMENTED, details: "ListModels is not served by this control plane" } };
        return { ok: true, value: toListModelsResponse(await deps.listModels(checkKeyHash(request.keyHash))) };
      } catch (err) {
        return fail("ListModels", err);
      } finally {
        rpcTimer.listModels.observe((performance.now() - start) / 1000);
      }
    },

    async getKeyUsage(request) {
      const start = performance.now();
      try {
        if (!deps.keyUsage) return { ok: false, failure: { code: status.UNIMPLEMENTED, details: "GetKeyUsage is not served by this control plane" } };
        const answer = await deps.keyUsage(checkKeyHash(request.keyHash), request.clientAddress.slice(0, MAX_FIELD));
        return { ok: true, value: toGetKeyUsageResponse(answer) };
      } catch (err) {
        return fail("GetKeyUsage", err);
      } finally {
        rpcTimer.getKeyUsage.observe((performance.now() - start) / 1000);
      }
    },

    async checkKey(request) {
      const start = performance.now();
      try {
        if (!deps.checkKey) return { ok: false, failure: { code: status.UNIMPLEMENTED, details: "CheckKey is not served by this control plane" } };
        return { ok: true, value: toCheckKeyResponse(await deps.checkKey(checkKeyHash(request.keyHash))) };
      } catch (err) {
        return fail("CheckKey", err);
      } finally {
        rpcTimer.checkKey.observe((performance.now() - start) / 1000);
      }
    },
  };
}

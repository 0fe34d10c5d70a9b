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
  AccountSignal,
  AcquireQueuedSchema,
  AcquireResponseSchema,
  CheckKeyResponseSchema,
  CredentialKind,
  GetKeyUsageResponseSchema,
  ListModelsResponseSchema,
  OutcomeKind,
  Platform,
  RefusalReason,
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
  UpstreamAccountType,
} from "@claude-relay/proto/lease";
import type { AccountRecord } from "../accounts/account-store.js";
import { isRateLimitHeader } from "../accounts/rate-limit-headers.js";
import { assertNever, InvalidRequestError, isRedisFailure, toGrpcStatus } from "../errors.js";
import type { KeyCheckResult } from "../keys/check-key.js";
import type { KeyUsageResult } from "../keys/key-usage.js";
import type { AcquireInput, AcquireResult } from "../leases/acquire-lease.js";
import { HandBackError } from "../leases/queued-acquire.js";
import { DRAINING_DETAILS } from "./interceptors/draining.js";
import type { ListModelsResult } from "../models/list-models.js";
import type { RefusalCode } from "../leases/refusal.js";
import type { ReleaseInput, ReleaseResult } from "../leases/release-lease.js";
import type { RenewResult } from "../leases/renew-lease.js";
import type { AccountType, PlatformName } from "../providers/account-types.js";
import { platformFromProto, platformToProto } from "../providers/platform-proto.js";
import { frontDoorOf } from "../usage/front-doors.js";
import type { LeaseMetrics, PlatformLabel } from "./lease-metrics.js";

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

const MAX_FIELD = 256;
const MAX_EXCLUDED = 32;
/** The longest a caller may ask to wait in the queue; a larger max_wait_ms is read as this. */
const MAX_WAIT_MS = 10 * 60_000;

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

/** The platform a request names: unspecified reads as Claude (relays older than the field); undefined for a value this version does not know. */
function requestedPlatform(platform: Platform): PlatformName | undefined {
  return platform === Platform.UNSPECIFIED ? "claude" : platformFromProto(platform);
}

function toAcquireInput(req: AcquireRequest, platform: PlatformName | undefined, stop?: { readonly signal: AbortSignal }): AcquireInput {
  if (platform === undefined) throw new InvalidRequestError(`platform ${req.platform} is not one this control plane serves`);
  const keyHash = checkKeyHash(req.keyHash);
  if (req.model.length > MAX_FIELD) throw new InvalidRequestError(`model must be at most ${MAX_FIELD} characters`);
  checkSessionHash(req.sessionHash);
  if (req.excludeAccounts.length > MAX_EXCLUDED || req.excludeAccounts.some((id) => id.length > MAX_FIELD)) {
    throw new InvalidRequestError(`exclude_accounts must hold at most ${MAX_EXCLUDED} ids`);
  }
  return {
    keyHash,
    model: req.model,
    sessionHash: req.sessionHash,
    excludeAccounts: req.excludeAccounts,
    requestId: req.requestId.slice(0, MAX_FIELD),
    userAgent: req.userAgent.slice(0, 2 * MAX_FIELD),
    platform,
    accountTypes: accountTypesOf(req.accountTypes),
    maxWaitMs: Math.min(Math.max(0, req.maxWaitMs), MAX_WAIT_MS),
    // Read only by a request that waits in the queue, so the signal is made only then.
    get signal() {
      return stop?.signal;
    },
  };
}

/** The account types a request is limited to; a value this version does not know is a bad call, never a wider choice. */
function accountTypesOf(types: readonly UpstreamAccountType[]): AccountType[] {
  if (types.length > MAX_EXCLUDED) throw new InvalidRequestError(`account_types must hold at most ${MAX_EXCLUDED} types`);
  return types.map((value) => {
    const type = (Object.keys(UPSTREAM_TYPES) as AccountType[]).find((t) => UPSTREAM_TYPES[t].type === value);
    if (type === undefined) throw new InvalidRequestError(`account type ${value} is not one this control plane serves`);
    return type;
  });
}

/**
 * How the relay calls an account of each type: the protocol its base URL speaks, where the credential goes,
 * and which per-type details travel with it: the Code Assist envelope's project, or the ChatGPT account a
 * Codex backend request names.
 */
const UPSTREAM_TYPES: Readonly<Record<AccountType, { type: UpstreamAccountType; credentialKind: CredentialKind; details?: "codeAssist" | "chatgpt" }>> = Object.freeze({
  "claude-console": { type: UpstreamAccountType.CLAUDE_CONSOLE, credentialKind: CredentialKind.API_KEY },
  "claude-oauth": { type: UpstreamAccountType.CLAUDE_OAUTH, credentialKind: CredentialKind.OAUTH_TOKEN },
  "gemini-api": { type: UpstreamAccountType.GEMINI_API, credentialKind: CredentialKind.GOOGLE_API_KEY },
  "gemini-oauth": { type: UpstreamAccountType.GEMINI_OAUTH, credentialKind: CredentialKind.OAUTH_TOKEN, details: "codeAssist" },
  "openai-api": { type: UpstreamAccountType.OPENAI_API, credentialKind: CredentialKind.BEARER_API_KEY },
  "openai-oauth": { type: UpstreamAccountType.OPENAI_OAUTH, credentialKind: CredentialKind.OAUTH_TOKEN, details: "chatgpt" },
});

/** The fields only some account types have: a Code Assist account's project, a ChatGPT sign-in's account id. */
function accountDetails(account: AccountRecord) {
  switch (UPSTREAM_TYPES[account.type]?.details) {
    case "codeAssist":
      return { case: "codeAssist" as const, value: { projectId: account.projectId } };
    case "chatgpt":
      return { case: "chatgpt" as const, value: { accountId: account.chatgptAccountId ?? "" } };
    default:
      return undefined;
  }
}

function toAcquireResponse(answer: AcquireResult): AcquireResponse {
  if (!answer.ok) {
    return create(AcquireResponseSchema, {
      result: { case: "refusal", value: { reason: toRefusalReason(answer.reason), message: answer.message, retryAfterMs: answer.retryAfterMs } },
    });
  }
  const { account, credential } = answer;
  const upstream = UPSTREAM_TYPES[account.type];
  const details = accountDetails(account);
  return create(AcquireResponseSchema, {
    result: {
      case: "lease",
      value: {
        leaseId: answer.leaseId,
        ttlMs: answer.ttlMs,
        keyId: answer.keyId,
        account: {
          id: account.id,
          name: account.name,
          baseUrl: account.baseUrl,
          proxyUrl: account.proxyUrl,
          credentialKind: upstream?.credentialKind ?? (credential.kind === "api-key" ? CredentialKind.API_KEY : CredentialKind.OAUTH_TOKEN),
          credential: credential.kind === "api-key" ? credential.apiKey : credential.accessToken,
          type: upstream?.type ?? UpstreamAccountType.UNSPECIFIED,
          ...(details && { details }),
        },
      },
    },
  });
}

function toRefusalReason(reason: RefusalCode): RefusalReason {
  switch (reason) {
    case "KEY_INVALID":
      return RefusalReason.KEY_INVALID;
    case "NOT_ALLOWED":
      return RefusalReason.NOT_ALLOWED;
    case "KEY_LIMIT":
      return RefusalReason.KEY_LIMIT;
    case "NO_ACCOUNT":
      return RefusalReason.NO_ACCOUNT;
    default:
      return assertNever(reason);
  }
}

function toReleaseInput(req: ReleaseRequest): ReleaseInput {
  const count = (n: number | undefined) => Math.max(0, n ?? 0);
  // Empty from older relays; a name this version does not know is not refused, only not counted per front door.
  const frontDoor = frontDoorOf(req.frontDoor);
  return {
    leaseId: req.leaseId,
    outcome: req.outcome?.kind ?? OutcomeKind.UNSPECIFIED,
    status: req.outcome?.status ?? 0,
    detail: req.outcome?.detail ?? "",
    signal: req.outcome?.signal ?? AccountSignal.UNSPECIFIED,
    model: req.usage?.model ?? "",
    usage: {
      inputTokens: count(req.usage?.inputTokens),
      outputTokens: count(req.usage?.outputTokens),
      cacheCreationInputTokens: count(req.usage?.cacheCreationInputTokens),
      cacheReadInputTokens: count(req.usage?.cacheReadInputTokens),
      cacheCreation1hInputTokens: count(req.usage?.cacheCreation1hInputTokens),
      reasoningTokens: count(req.usage?.reasoningTokens),
    },
    latencyMs: count(req.latencyMs),
    ttfbMs: count(req.ttfbMs),
    sessionHash: checkSessionHash(req.sessionHash),
    headers: accountStateHeaders(req.outcome?.headers ?? {}),
    ...(frontDoor !== undefined && { frontDoor }),
    continuationHashes: checkContinuationHashes(req.continuationHashes),
  };
}

/** The continuation hashes of a Release, bounded like the session hash and the exclusions. */
function checkContinuationHashes(hashes: readonly string[]): readonly string[] {
  if (hashes.length > MAX_EXCLUDED) throw new InvalidRequestError(`continuation_hashes must hold at most ${MAX_EXCLUDED} hashes`);
  for (const hash of hashes) checkSessionHash(hash);
  return hashes;
}

/** The outcome headers account health reads (`retry-after`, `anthropic-ratelimit-*`, `x-codex-*` windows), bounded in number and size. */
function accountStateHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  let kept = 0;
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (!isRateLimitHeader(key)) continue;
    if (key.length > 128 || ++kept > 64) continue;
    out[key] = value.slice(0, MAX_FIELD);
  }
  return out;
}

/** The key hash in lower case; refused unless it is empty (no key, refused as KEY_INVALID) or 64 hex digits. */
function checkKeyHash(value: string): string {
  const keyHash = value.toLowerCase();
  if (keyHash !== "" && !/^[0-9a-f]{64}$/.test(keyHash)) throw new InvalidRequestError("key_hash must be the hex SHA-256 of the client key");
  return keyHash;
}

function toGetKeyUsageResponse(answer: KeyUsageResult): GetKeyUsageResponse {
  if (!answer.ok) {
    return create(GetKeyUsageResponseSchema, {
      result: { case: "refusal", value: { reason: toRefusalReason(answer.reason), message: answer.message, retryAfterMs: answer.retryAfterMs } },
    });
  }
  return create(GetKeyUsageResponseSchema, { result: { case: "reportJson", value: JSON.stringify(answer.report) } });
}

function toListModelsResponse(answer: ListModelsResult): ListModelsResponse {
  if (!answer.ok) {
    return create(ListModelsResponseSchema, {
      result: { case: "refusal", value: { reason: toRefusalReason(answer.reason), message: answer.message, retryAfterMs: answer.retryAfterMs } },
    });
  }
  const models = answer.models.map((m) => ({ id: m.id, platform: platformToProto(m.platform), upstreamModel: m.upstreamModel }));
  return create(ListModelsResponseSchema, { result: { case: "models", value: { models } } });
}

function toCheckKeyResponse(answer: KeyCheckResult): CheckKeyResponse {
  if (answer.ok) return create(CheckKeyResponseSchema, { result: { case: "accepted", value: { keyId: answer.keyId } } });
  return create(CheckKeyResponseSchema, { result: { case: "refusal", value: { reason: toRefusalReason(answer.reason), message: answer.message } } });
}

function checkSessionHash(sessionHash: string): string {
  if (sessionHash.length > MAX_FIELD) throw new InvalidRequestError(`session_hash must be at most ${MAX_FIELD} characters`);
  return sessionHash;
}

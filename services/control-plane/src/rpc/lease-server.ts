/**
 * The grpc-js LeaseService: proto ↔ domain, nothing more. It validates field
 * bounds (INVALID_ARGUMENT), turns domain refusals into `AcquireResponse.refusal`
 * values, renewal misses into NOT_FOUND, and any thrown failure into a status
 * through errors.ts. The internal-token interceptor runs before every handler.
 */
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import type { Secret } from "@claude-relay/config";
import type { Logger } from "@claude-relay/logging";
import {
  AcquireResponseSchema,
  CredentialKind,
  LeaseService,
  OutcomeKind,
  RefusalReason,
  ReleaseResponseSchema,
  RenewResponseSchema,
  type AcquireRequest,
  type AcquireResponse,
  type ReleaseRequest,
  type ReleaseResponse,
  type RenewRequest,
  type RenewResponse,
} from "@claude-relay/proto/lease";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { assertNever, InvalidRequestError, isRedisFailure, toGrpcStatus } from "../errors.js";
import type { AcquireInput, AcquireResult } from "../leases/acquire-lease.js";
import type { RefusalCode } from "../leases/refusal.js";
import type { ReleaseInput, ReleaseResult } from "../leases/release-lease.js";
import type { RenewResult } from "../leases/renew-lease.js";
import { createHealthService, HEALTH_CHECK_PATH, healthServiceDefinition } from "./health-service.js";
import { createDrainingInterceptor } from "./interceptors/draining.js";
import { createInternalTokenInterceptor } from "./interceptors/internal-token.js";
import type { LeaseMetrics } from "./lease-metrics.js";
import { withLivenessService } from "./liveness-health.js";
import { addReflection, REFLECTION_PATHS } from "./reflection-service.js";

/** What the lease server needs. */
export interface LeaseServerDeps {
  acquire(input: AcquireInput): Promise<AcquireResult>;
  renew(leaseId: string): Promise<RenewResult>;
  release(input: ReleaseInput): Promise<ReleaseResult>;
  internalToken: Secret;
  metrics: LeaseMetrics;
  log: Logger;
  /** When given, grpc.health.v1.Health/Check answers SERVING while this resolves true (no token needed). */
  isServing?: () => Promise<boolean>;
  /** When given and true, Acquire ends with UNAVAILABLE (the process is shutting down); Renew and Release go on. */
  isDraining?: () => boolean;
}

/** A started-on-demand gRPC server. */
export interface LeaseServer {
  /** Binds host:port (0 for any free port) and resolves with the bound port. */
  listen(host: string, port: number): Promise<number>;
  /** Stops accepting calls, lets running ones finish for up to graceMs, then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

const MAX_FIELD = 256;
const MAX_EXCLUDED = 32;

/** Builds the lease server. */
export function createLeaseServer(deps: LeaseServerDeps): LeaseServer {
  const { metrics, log } = deps;
  const interceptors = [createInternalTokenInterceptor(deps.internalToken, { publicPaths: [HEALTH_CHECK_PATH, ...REFLECTION_PATHS] })];
  const isDraining = deps.isDraining;
  if (isDraining) interceptors.push(createDrainingInterceptor({ isDraining, refusedPaths: [`/${LeaseService.typeName}/${LeaseService.method.acquire.name}`] }));
  // Channelz keeps per-call statistics nobody reads here; it costs CPU on every call.
  const server = new grpc.Server({ interceptors, "grpc.enable_channelz": 0 });
  // Label children looked up once: prom-client hashes the label object on every call otherwise.
  const rpcTimer = { acquire: metrics.rpcDuration.labels("acquire"), renew: metrics.rpcDuration.labels("renew"), release: metrics.rpcDuration.labels("release") };

  function fail(method: string, err: unknown): Partial<grpc.StatusObject> {
    const mapped = toGrpcStatus(err);
    if (isRedisFailure(err)) metrics.redisErrors.inc();
    if (mapped.code === grpc.status.INTERNAL) log.error({ err, method }, "lease call failed");
    else if (mapped.code === grpc.status.UNAVAILABLE) log.warn({ err: { message: (err as Error).message }, method }, "lease call failed: Redis unavailable");
    return mapped;
  }

  const handlers: grpc.UntypedServiceImplementation = {
    acquire: (call: grpc.ServerUnaryCall<AcquireRequest, AcquireResponse>, callback: grpc.sendUnaryData<AcquireResponse>) => {
      const stop = metrics.acquireDuration.startTimer();
      const stopRpc = rpcTimer.acquire.startTimer();
      let result = "error";
      Promise.resolve()
        .then(() => deps.acquire(toAcquireInput(call.request)))
        .then(
          (answer) => {
            result = answer.ok ? "lease" : answer.reason.toLowerCase();
            callback(null, toAcquireResponse(answer));
          },
          (err: unknown) => callback(fail("Acquire", err)),
        )
        .finally(() => {
          stop();
          stopRpc();
          metrics.acquireTotal.inc({ result });
        });
    },

    renew: (call: grpc.ServerUnaryCall<RenewRequest, RenewResponse>, callback: grpc.sendUnaryData<RenewResponse>) => {
      const stopRpc = rpcTimer.renew.startTimer();
      Promise.resolve()
        .then(() => deps.renew(call.request.leaseId))
        .then(
          (answer) =>
            answer.ok
              ? callback(null, create(RenewResponseSchema, { ttlMs: answer.ttlMs }))
              : callback({ code: grpc.status.NOT_FOUND, details: "lease not found or expired" }),
          (err: unknown) => callback(fail("Renew", err)),
        )
        .finally(stopRpc);
    },

    release: (call: grpc.ServerUnaryCall<ReleaseRequest, ReleaseResponse>, callback: grpc.sendUnaryData<ReleaseResponse>) => {
      const input = toReleaseInput(call.request);
      metrics.releasesTotal.inc({ outcome: (OutcomeKind[input.outcome] ?? "UNSPECIFIED").toLowerCase() });
      const stopRpc = rpcTimer.release.startTimer();
      Promise.resolve()
        .then(() => deps.release(input))
        .then(
          () => callback(null, create(ReleaseResponseSchema, {})),
          (err: unknown) => callback(fail("Release", err)),
        )
        .finally(stopRpc);
    },
  };
  server.addService(toGrpcServiceDefinition(LeaseService), handlers);
  if (deps.isServing) {
    server.addService(healthServiceDefinition, withLivenessService(createHealthService({ isServing: deps.isServing, services: [LeaseService.typeName] })));
  }
  // Reflection needs no token either: it describes the services, it calls none of them.
  addReflection(server, { services: [LeaseService], health: deps.isServing !== undefined });

  return {
    listen(host, port) {
      return new Promise((resolve, reject) => {
        server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
      });
    },
    close(graceMs = 5_000) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

function toAcquireInput(req: AcquireRequest): AcquireInput {
  const keyHash = req.keyHash.toLowerCase();
  if (keyHash !== "" && !/^[0-9a-f]{64}$/.test(keyHash)) throw new InvalidRequestError("key_hash must be the hex SHA-256 of the client key");
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
  };
}

function toAcquireResponse(answer: AcquireResult): AcquireResponse {
  if (!answer.ok) {
    return create(AcquireResponseSchema, {
      result: { case: "refusal", value: { reason: toRefusalReason(answer.reason), message: answer.message, retryAfterMs: answer.retryAfterMs } },
    });
  }
  const { account, credential } = answer;
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
          credentialKind: credential.kind === "api-key" ? CredentialKind.API_KEY : CredentialKind.OAUTH_TOKEN,
          credential: credential.kind === "api-key" ? credential.apiKey : credential.accessToken,
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
  return {
    leaseId: req.leaseId,
    outcome: req.outcome?.kind ?? OutcomeKind.UNSPECIFIED,
    status: req.outcome?.status ?? 0,
    detail: req.outcome?.detail ?? "",
    model: req.usage?.model ?? "",
    usage: {
      inputTokens: count(req.usage?.inputTokens),
      outputTokens: count(req.usage?.outputTokens),
      cacheCreationInputTokens: count(req.usage?.cacheCreationInputTokens),
      cacheReadInputTokens: count(req.usage?.cacheReadInputTokens),
      cacheCreation1hInputTokens: count(req.usage?.cacheCreation1hInputTokens),
    },
    latencyMs: count(req.latencyMs),
    ttfbMs: count(req.ttfbMs),
    sessionHash: checkSessionHash(req.sessionHash),
    headers: accountStateHeaders(req.outcome?.headers ?? {}),
  };
}

/** The outcome headers account health reads (`retry-after`, `anthropic-ratelimit-*`), bounded in number and size. */
function accountStateHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  let kept = 0;
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (key !== "retry-after" && !key.startsWith("anthropic-ratelimit-")) continue;
    if (key.length > 128 || ++kept > 64) continue;
    out[key] = value.slice(0, MAX_FIELD);
  }
  return out;
}

function checkSessionHash(sessionHash: string): string {
  if (sessionHash.length > MAX_FIELD) throw new InvalidRequestError(`session_hash must be at most ${MAX_FIELD} characters`);
  return sessionHash;
}

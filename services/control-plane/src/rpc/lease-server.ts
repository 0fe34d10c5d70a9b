/**
 * The grpc-js LeaseService: proto ↔ domain, nothing more. The unary methods
 * (ListModels and GetKeyUsage among them) and the Exchange stream share one path per call
 * (lease-calls.ts); Exchange's stream lifecycle is lease-exchange.ts. The internal-token interceptor runs
 * before every handler, the draining interceptor refuses unary Acquire while
 * draining, and close() ends the Exchange streams before the server shuts down.
 * Changes of client keys the invalidation channel announces go out on the open
 * Exchange streams, so relays drop the CheckKey answers they keep.
 */
import * as grpc from "@grpc/grpc-js";
import type { Secret } from "@claude-relay/config";
import type { Logger } from "@claude-relay/logging";
import {
  LeaseService,
  type AcquireRequest,
  type AcquireResponse,
  type GetKeyUsageRequest,
  type GetKeyUsageResponse,
  type ListModelsRequest,
  type ListModelsResponse,
  type ReleaseRequest,
  type ReleaseResponse,
  type RenewRequest,
  type RenewResponse,
} from "@claude-relay/proto/lease";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import type { CacheInvalidation } from "../cache/invalidation.js";
import type { KeyCheckResult } from "../keys/check-key.js";
import type { AcquireInput, AcquireResult } from "../leases/acquire-lease.js";
import type { ListModelsResult } from "../models/list-models.js";
import type { KeyUsageResult } from "../keys/key-usage.js";
import type { ReleaseInput, ReleaseResult } from "../leases/release-lease.js";
import type { RenewResult } from "../leases/renew-lease.js";
import { createHealthService, HEALTH_CHECK_PATH, healthServiceDefinition } from "./health-service.js";
import { createDrainingInterceptor } from "./interceptors/draining.js";
import { createInternalTokenInterceptor } from "./interceptors/internal-token.js";
import { createLeaseCalls, type CallResult } from "./lease-calls.js";
import { createLeaseExchange } from "./lease-exchange.js";
import type { LeaseMetrics } from "./lease-metrics.js";
import { withLivenessService } from "./liveness-health.js";
import { addReflection, REFLECTION_PATHS } from "./reflection-service.js";

/** What the lease server needs. */
export interface LeaseServerDeps {
  acquire(input: AcquireInput): Promise<AcquireResult>;
  renew(leaseId: string): Promise<RenewResult>;
  release(input: ReleaseInput): Promise<ReleaseResult>;
  /** The models a key may use (ListModels); without it the method answers UNIMPLEMENTED. */
  listModels?(keyHash: string): Promise<ListModelsResult>;
  /** A key holder's report on their key (GetKeyUsage), limited per client address; without it the method answers UNIMPLEMENTED. */
  keyUsage?(keyHash: string, clientAddress: string): Promise<KeyUsageResult>;
  /** Whether a key may be used at all (CheckKey, on Exchange); without it the call answers UNIMPLEMENTED. */
  checkKey?(keyHash: string): Promise<KeyCheckResult>;
  /** When given, every change of a client key it announces is told to the open Exchange streams (KeysChanged). */
  invalidation?: Pick<CacheInvalidation, "onInvalidate">;
  internalToken: Secret;
  metrics: LeaseMetrics;
  log: Logger;
  /** When given, grpc.health.v1.Health/Check answers SERVING while this resolves true (no token needed). */
  isServing?: () => Promise<boolean>;
  /** When given and true, Acquire ends with UNAVAILABLE, or on Exchange is answered with it; Renew and Release go on. */
  isDraining?: () => boolean;
  /** Whether Exchange serves ExchangeBatch messages (default true); false answers them as older control planes do. */
  exchangeBatches?: boolean;
  /**
   * When given, a client connection older than `ageMs` is asked to move (HTTP/2 GOAWAY), and
   * closed `graceMs` later: clients reconnect and look their target up again, so replicas added
   * since are found. The relay replaces its streams more often than `graceMs`, so none is cut.
   */
  maxConnectionAge?: { ageMs: number; graceMs: number };
}

/** A started-on-demand gRPC server. */
export interface LeaseServer {
  /** Binds host:port (0 for any free port) and resolves with the bound port. */
  listen(host: string, port: number): Promise<number>;
  /**
   * Stops accepting calls, ends each Exchange stream once its calls in flight are answered,
   * lets running calls finish for up to graceMs, then cuts the rest.
   */
  close(graceMs?: number): Promise<void>;
}

/** Builds the lease server. */
export function createLeaseServer(deps: LeaseServerDeps): LeaseServer {
  const interceptors = [createInternalTokenInterceptor(deps.internalToken, { publicPaths: [HEALTH_CHECK_PATH, ...REFLECTION_PATHS] })];
  const isDraining = deps.isDraining;
  if (isDraining) interceptors.push(createDrainingInterceptor({ isDraining, refusedPaths: [`/${LeaseService.typeName}/${LeaseService.method.acquire.name}`] }));
  // Channelz keeps per-call statistics nobody reads here; it costs CPU on every call.
  const server = new grpc.Server({
    interceptors,
    "grpc.enable_channelz": 0,
    ...(deps.maxConnectionAge && {
      "grpc.max_connection_age_ms": deps.maxConnectionAge.ageMs,
      "grpc.max_connection_age_grace_ms": deps.maxConnectionAge.graceMs,
    }),
  });
  const calls = createLeaseCalls(deps);
  const { invalidation } = deps;
  const exchange = createLeaseExchange({
    calls,
    log: deps.log,
    isDraining,
    batches: deps.exchangeBatches ?? true,
    // "all" (the feed was lost for a while) may hide a key change too.
    ...(invalidation && {
      onKeysChanged: (listener: () => void) =>
        invalidation.onInvalidate((change) => {
          if (change === "all" || change.kind === "api-key") listener();
        }),
    }),
  });

  const handlers: grpc.UntypedServiceImplementation = {
    acquire: (call: grpc.ServerUnaryCall<AcquireRequest, AcquireResponse>, callback: grpc.sendUnaryData<AcquireResponse>) => {
      // A caller that cancels its call leaves the queue at once.
      const stop = new AbortController();
      call.once("cancelled", () => stop.abort());
      calls.acquire(call.request, stop).then((answer) => reply(callback, answer));
    },
    renew: (call: grpc.ServerUnaryCall<RenewRequest, RenewResponse>, callback: grpc.sendUnaryData<RenewResponse>) => {
      calls.renew(call.request).then((answer) => reply(callback, answer));
    },
    release: (call: grpc.ServerUnaryCall<ReleaseRequest, ReleaseResponse>, callback: grpc.sendUnaryData<ReleaseResponse>) => {
      calls.release(call.request).then((answer) => reply(callback, answer));
    },
    listModels: (call: grpc.ServerUnaryCall<ListModelsRequest, ListModelsResponse>, callback: grpc.sendUnaryData<ListModelsResponse>) => {
      calls.listModels(call.request).then((answer) => reply(callback, answer));
    },
    getKeyUsage: (call: grpc.ServerUnaryCall<GetKeyUsageRequest, GetKeyUsageResponse>, callback: grpc.sendUnaryData<GetKeyUsageResponse>) => {
      calls.getKeyUsage(call.request).then((answer) => reply(callback, answer));
    },
    exchange: exchange.handle,
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
      // Exchange streams never end by themselves; tryShutdown waits for them, so they are ended first.
      exchange.endAll();
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

function reply<T>(callback: grpc.sendUnaryData<T>, answer: CallResult<T>): void {
  if (answer.ok) callback(null, answer.value);
  else callback(answer.failure);
}

/**
 * The relay's only connection to the control plane: a grpc-js client of
 * LeaseService over one channel that resolves every replica (`dns:///`) and
 * spreads calls round-robin, kept warm with keepalive pings.
 *
 * A refusal is an answer and comes back as a value. A failed call (no replica
 * reachable, deadline, bad token) comes back as a ControlPlaneError: from acquire
 * as a value the caller maps to 503, from renew and release as a rejection the
 * caller logs. Releases still in flight are awaited by close, so a shutdown does
 * not leak slots.
 */
import { create } from "@bufbuild/protobuf";
import {
  type AcquireRequest,
  AcquireRequestSchema,
  type AcquireResponse,
  type Lease,
  type Refusal,
  type ReleaseRequest,
  ReleaseRequestSchema,
  type ReleaseResponse,
  RenewRequestSchema,
  type RenewRequest,
  type RenewResponse,
  LeaseService,
} from "@claude-relay/proto/lease";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import type { MessageInitShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";

/** Thrown by (or returned from) the lease client when a call fails rather than answers. */
export class ControlPlaneError extends Error {
  /** ERR_CONTROL_PLANE_UNAVAILABLE: transport, deadline or auth trouble (503); ERR_CONTROL_PLANE_CALL: the call itself was refused (500). */
  readonly code: "ERR_CONTROL_PLANE_UNAVAILABLE" | "ERR_CONTROL_PLANE_CALL";
  constructor(
    readonly method: string,
    readonly grpcCode: grpc.status,
    details: string,
    options?: { cause?: unknown },
  ) {
    super(`LeaseService.${method} failed: ${grpc.status[grpcCode] ?? grpcCode} ${details}`, options);
    this.name = "ControlPlaneError";
    this.code = UNAVAILABLE_CODES.has(grpcCode) ? "ERR_CONTROL_PLANE_UNAVAILABLE" : "ERR_CONTROL_PLANE_CALL";
  }
}

const UNAVAILABLE_CODES: ReadonlySet<grpc.status> = new Set([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.UNAUTHENTICATED,
  grpc.status.CANCELLED,
  grpc.status.RESOURCE_EXHAUSTED,
]);

/** The answer to Acquire. */
export type AcquireResult =
  | { kind: "lease"; lease: Lease }
  | { kind: "refusal"; refusal: Refusal }
  | { kind: "error"; error: ControlPlaneError };

/** Options of createLeaseClient. */
export interface LeaseClientOptions {
  /** A grpc-js target, e.g. `dns:///control-plane:50051`. */
  target: string;
  /** The shared internal token, sent as `x-internal-token`. */
  token: string;
  /** Deadline of one call. */
  deadlineMs: number;
  /** Observes each call's duration in seconds, failed ones included, by method (a histogram's `labels` fits). */
  callDuration?: { labels(method: "acquire" | "renew" | "release"): { startTimer(): () => unknown } };
}

/** A LeaseService client. */
export interface LeaseClient {
  acquire(request: MessageInitShape<typeof AcquireRequestSchema>): Promise<AcquireResult>;
  /** Resolves to the new TTL; rejects with ControlPlaneError (NOT_FOUND once the lease expired). */
  renew(leaseId: string): Promise<number>;
  /** Rejects with ControlPlaneError; close() waits for releases still in flight. */
  release(request: MessageInitShape<typeof ReleaseRequestSchema>): Promise<void>;
  /** True while the channel is connected; asks an idle channel to connect. */
  isReady(): boolean;
  /** Waits (up to `timeoutMs`) for releases in flight, then closes the channel. */
  close(timeoutMs?: number): Promise<void>;
}

type Unary<I, O> = (
  request: I,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: O) => void,
) => grpc.ClientUnaryCall;

interface LeaseStub extends grpc.Client {
  acquire: Unary<AcquireRequest, AcquireResponse>;
  renew: Unary<RenewRequest, RenewResponse>;
  release: Unary<ReleaseRequest, ReleaseResponse>;
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc.keepalive_permit_without_calls": 1,
  // Stay connected through quiet hours, so the first request after them pays no handshake.
  "grpc.client_idle_timeout_ms": 24 * 60 * 60 * 1000,
  "grpc.initial_reconnect_backoff_ms": 250,
  "grpc.max_reconnect_backoff_ms": 5_000,
  // Per-call bookkeeping nobody reads here; it costs CPU on every call of the hot path.
  "grpc.enable_channelz": 0,
};

/** Creates the client; the channel connects on the first call or isReady(). */
export function createLeaseClient(options: LeaseClientOptions): LeaseClient {
  const Stub = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");
  const stub = new Stub(options.target, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as unknown as LeaseStub;
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", options.token);
  const pendingReleases = new Set<Promise<void>>();

  const timers = options.callDuration && {
    acquire: options.callDuration.labels("acquire"),
    renew: options.callDuration.labels("renew"),
    release: options.callDuration.labels("release"),
  };

  function call<I, O>(method: "acquire" | "renew" | "release", request: I): Promise<O> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + options.deadlineMs;
      const fn = stub[method] as unknown as Unary<I, O>;
      const stop = timers?.[method].startTimer();
      // One Metadata for every call: grpc-js copies it when the call starts.
      fn.call(stub, request, metadata, { deadline }, (error, response) => {
        stop?.();
        if (error) reject(new ControlPlaneError(method, error.code, error.details, { cause: error }));
        else resolve(response as O);
      });
    });
  }

  return {
    async acquire(init) {
      try {
        const response = await call<AcquireRequest, AcquireResponse>("acquire", create(AcquireRequestSchema, init));
        const result = response.result;
        if (result.case === "lease") return { kind: "lease", lease: result.value };
        if (result.case === "refusal") return { kind: "refusal", refusal: result.value };
        return { kind: "error", error: new ControlPlaneError("acquire", grpc.status.INTERNAL, "empty AcquireResponse") };
      } catch (error) {
        return { kind: "error", error: error as ControlPlaneError };
      }
    },
    async renew(leaseId) {
      const response = await call<RenewRequest, RenewResponse>("renew", create(RenewRequestSchema, { leaseId }));
      return response.ttlMs;
    },
    release(init) {
      const pending = call<ReleaseRequest, ReleaseResponse>("release", create(ReleaseRequestSchema, init)).then(() => {});
      const tracked = pending.catch(() => {}).finally(() => pendingReleases.delete(tracked));
      pendingReleases.add(tracked);
      return pending;
    },
    isReady() {
      return stub.getChannel().getConnectivityState(true) === grpc.connectivityState.READY;
    },
    async close(timeoutMs = 5_000) {
      if (pendingReleases.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        });
        await Promise.race([Promise.allSettled([...pendingReleases]), timeout]);
        clearTimeout(timer);
      }
      stub.close();
    },
  };
}

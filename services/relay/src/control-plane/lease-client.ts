/**
 * The relay's only connection to the control plane: a grpc-js client of
 * LeaseService over one channel that resolves every replica (`dns:///`) and
 * spreads streams round-robin, kept warm with keepalive pings. Every call goes
 * as a message on one of a few long-lived Exchange streams (exchange-stream.ts),
 * which costs a fraction of a unary call; each stream is replaced after
 * `streamMaxAgeMs`, so replicas that joined later get their share.
 *
 * A refusal is an answer and comes back as a value. A failed call (no replica
 * reachable, deadline, bad token) comes back as a ControlPlaneError: from acquire
 * as a value the caller maps to 503, from renew and release as a rejection the
 * caller logs. A call that a replica answered as unavailable (it is draining),
 * or that was waiting when its stream ended cleanly (so it never ran), is sent
 * once more on another stream. An Acquire granted after its deadline passed is
 * released at once, so its slot is not held for a TTL. Releases still in flight
 * are awaited by close, so a shutdown does not leak slots.
 *
 * CheckKey goes the same way, with a shorter deadline (it only saves work
 * Acquire would do anyway, so it must never hold a request for long). A
 * replica that does not know it (an older control plane answers
 * INVALID_ARGUMENT: it sees no call it knows) is not asked again on that
 * stream; its requests go to Acquire unchecked. KeysChanged notices from any
 * stream go to the onKeysChanged listeners.
 *
 * An Acquire that may wait in the control plane's queue (`max_wait_ms`) keeps
 * its usual deadline until the control plane says it joined the queue
 * (AcquireQueued); it then gets the wait on top. Its caller's abort cancels
 * it on the stream (CancelCall), so it leaves the queue at once; a lease
 * granted in the meantime is released like a late one. A queued one whose
 * stream breaks, or whose replica hands it back while draining, is sent again
 * on another stream while its time lasts: the control plane keeps its place
 * by its request id.
 *
 * With `batchMaxCalls` above 1, the calls made in one turn of the event loop
 * that land on the same stream travel as one message (exchange-stream.ts);
 * each keeps its own deadline, retry and error mapping, as above.
 */
import { create } from "@bufbuild/protobuf";
import {
  AcquireRequestSchema,
  CancelCallSchema,
  type AcquireResponse,
  CheckKeyRequestSchema,
  type CheckKeyResponse,
  type Lease,
  LeaseService,
  type GetKeyUsageRequest,
  GetKeyUsageRequestSchema,
  type GetKeyUsageResponse,
  type ListModelsRequest,
  ListModelsRequestSchema,
  type ListModelsResponse,
  OutcomeKind,
  type Refusal,
  ReleaseRequestSchema,
  RenewRequestSchema,
} from "@claude-relay/proto/lease";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import type { MessageInitShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { type ExchangeCall, type ExchangeDuplex, type ExchangeFailure, type ExchangeResult, type ExchangeStream, openExchangeStream } from "./exchange-stream.js";

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

/** The answer to CheckKey: accepted, refused (always KEY_INVALID), or not known because the check did not run. */
export type KeyCheckAnswer =
  | { kind: "accepted"; keyId: string }
  | { kind: "refused"; refusal: Refusal }
  | { kind: "unchecked"; reason: "unsupported" | "error"; error: ControlPlaneError };

/** Options of createLeaseClient. */
export interface LeaseClientOptions {
  /** A grpc-js target, e.g. `dns:///control-plane:50051`. */
  target: string;
  /** The shared internal token, sent as `x-internal-token`. */
  token: string;
  /** Deadline of one call. */
  deadlineMs: number;
  /** Deadline of CheckKey; default the smaller of deadlineMs and 1 s. */
  checkKeyDeadlineMs?: number;
  /** Exchange streams kept open, spread over the replicas round-robin; default 4. */
  streams?: number;
  /** A stream older than this takes no new calls and is replaced; default 5 minutes. */
  streamMaxAgeMs?: number;
  /** The most calls sent in one Exchange message; 0 or 1 (the default) sends each call alone. */
  batchMaxCalls?: number;
  /** Observes each call's duration in seconds, failed ones included, by method (a histogram's `labels` fits). */
  callDuration?: { labels(method: MethodLabel): { startTimer(): () => unknown } };
  /** Told about an Acquire granted after its deadline, released at once (for a log line). */
  onLateLease?: (leaseId: string) => void;
}

type Method = "acquire" | "renew" | "release" | "checkKey";
/** The method label of callDuration. */
type MethodLabel = "acquire" | "renew" | "release" | "check_key";

/** The abort side of the request an Acquire is for (proxy/request-abort.ts fits). */
export interface AcquireAbort {
  readonly aborted: boolean;
  /** Sets the one listener; undefined removes it. */
  listen(listener: (() => void) | undefined): void;
}

/** A LeaseService client. */
export interface LeaseClient {
  /** `abort` stops an Acquire that waits in the queue (max_wait_ms above 0): it leaves the queue at once and answers an error. */
  acquire(request: MessageInitShape<typeof AcquireRequestSchema>, abort?: AcquireAbort): Promise<AcquireResult>;
  /** Resolves to the new TTL; rejects with ControlPlaneError (NOT_FOUND once the lease expired). */
  renew(leaseId: string): Promise<number>;
  /** Rejects with ControlPlaneError; close() waits for releases still in flight. */
  release(request: MessageInitShape<typeof ReleaseRequestSchema>): Promise<void>;
  /** Whether a key may be used at all; never rejects (a check that could not run is `unchecked`). */
  checkKey(keyHash: string): Promise<KeyCheckAnswer>;
  /** Calls listener whenever a control plane says client keys may have changed; returns the unsubscribe function. */
  onKeysChanged(listener: () => void): () => void;
  /** The models a key may use (a unary call: rare, and cached by the caller); rejects with ControlPlaneError. */
  listModels(keyHash: string): Promise<ListModelsResponse>;
  /** A key holder's report on their key, asked from clientAddress (a unary call: rare); rejects with ControlPlaneError. */
  keyUsage(keyHash: string, clientAddress: string): Promise<GetKeyUsageResponse>;
  /** True while the channel is connected; asks an idle channel to connect. */
  isReady(): boolean;
  /** Waits (up to `timeoutMs`) for releases in flight, then closes the streams and the channel. */
  close(timeoutMs?: number): Promise<void>;
}

interface LeaseStub extends grpc.Client {
  exchange(metadata: grpc.Metadata, options?: grpc.CallOptions): ExchangeDuplex;
  listModels(request: ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: ListModelsResponse) => void): grpc.ClientUnaryCall;
  getKeyUsage(request: GetKeyUsageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: GetKeyUsageResponse) => void): grpc.ClientUnaryCall;
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

const DEFAULT_STREAMS = 4;
const DEFAULT_STREAM_MAX_AGE_MS = 5 * 60_000;
const RETIRED_STREAM_GRACE_MS = 30_000;
const CHECK_KEY_DEADLINE_MS = 1_000;
/** A waiting Acquire whose stream broke is sent again after this pause, so a replica that fails at once is not hammered. */
const WAITING_RETRY_PAUSE_MS = 100;
/** What a replica answers a CheckKey it does not serve: older ones see no call they know (INVALID_ARGUMENT). */
const NOT_SERVED: ReadonlySet<number> = new Set([grpc.status.INVALID_ARGUMENT, grpc.status.UNIMPLEMENTED]);

/** Creates the client; the channel connects on the first call or isReady(). */
export function createLeaseClient(options: LeaseClientOptions): LeaseClient {
  const Stub = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");
  const stub = new Stub(options.target, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as unknown as LeaseStub;
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", options.token);
  const streamCount = Math.max(1, options.streams ?? DEFAULT_STREAMS);
  const maxAgeMs = options.streamMaxAgeMs ?? DEFAULT_STREAM_MAX_AGE_MS;
  const checkKeyDeadlineMs = options.checkKeyDeadlineMs ?? Math.min(options.deadlineMs, CHECK_KEY_DEADLINE_MS);
  const pendingReleases = new Set<Promise<void>>();
  const keyListeners = new Set<() => void>();
  /** Streams whose replica does not serve CheckKey. */
  const withoutKeyCheck = new WeakSet<ExchangeStream>();
  const streams: ExchangeStream[] = [];
  let turn = 0;
  let closed = false;

  const timers = options.callDuration && {
    acquire: options.callDuration.labels("acquire"),
    renew: options.callDuration.labels("renew"),
    release: options.callDuration.labels("release"),
    checkKey: options.callDuration.labels("check_key"),
  };

  /** An Acquire answered after its caller gave up: a granted lease is given back at once. */
  function onLateAnswer(call: ExchangeCall, result: ExchangeResult): void {
    if (call.case !== "acquire" || result.case !== "acquire" || result.value.result.case !== "lease") return;
    const { leaseId } = result.value.result.value;
    options.onLateLease?.(leaseId);
    release({ leaseId, outcome: { kind: OutcomeKind.CLIENT_ABORTED, detail: "lease granted after the relay stopped waiting" } }).catch(() => {});
  }

  function onNotice(result: ExchangeResult): void {
    if (result.case === "keysChanged") for (const listener of keyListeners) listener();
  }

  function openStream(): ExchangeStream {
    return openExchangeStream(() => stub.exchange(metadata), { onLateAnswer, onNotice, batchMaxCalls: options.batchMaxCalls ?? 0 });
  }

  /** The next usable stream, round-robin; opens streams up to the count, replaces dead and old ones. */
  function pickStream(avoid?: ExchangeStream): ExchangeStream {
    const now = Date.now();
    for (let i = streams.length - 1; i >= 0; i--) {
      const stream = streams[i]!;
      if (stream.usable && now - stream.openedAt <= maxAgeMs) continue;
      stream.retire();
      streams.splice(i, 1);
    }
    if (streams.length < streamCount || (streams.length === 1 && streams[0] === avoid)) {
      const stream = openStream();
      streams.push(stream);
      return stream;
    }
    turn = (turn + 1) % streams.length;
    const stream = streams[turn]!;
    return stream === avoid ? streams[(turn + 1) % streams.length]! : stream;
  }

  /**
   * Sends one call and settles with its result; sends it once more when the first try certainly never ran.
   * A `waiting` call (an Acquire that may wait in the queue) can be cancelled by its abort; once the control
   * plane says it is queued, it gets the wait on top of its deadline, and is sent again on a broken or
   * handed-back stream while that time lasts (the control plane keeps its place by its request id).
   */
  function call(
    method: Method,
    exchangeCall: ExchangeCall,
    deadlineMs = options.deadlineMs,
    waiting?: { abort: AcquireAbort | undefined },
  ): Promise<NonNullable<ExchangeResult["value"]>> {
    const stop = timers?.[method].startTimer();
    /** Set once the call is queued: until when it may still be answered. */
    let untilMs: number | undefined;
    return new Promise<NonNullable<ExchangeResult["value"]>>((resolve, reject) => {
      const timeLeft = () => (untilMs === undefined ? 0 : untilMs - Date.now());
      const attempt = (triesLeft: number, avoid?: ExchangeStream) => {
        if (closed) return reject(new ControlPlaneError(method, grpc.status.CANCELLED, "the lease client is closed"));
        if (waiting?.abort?.aborted) return reject(new ControlPlaneError(method, grpc.status.CANCELLED, "the caller stopped waiting"));
        const stream = pickStream(avoid);
        if (method === "checkKey" && withoutKeyCheck.has(stream)) return reject(new ControlPlaneError(method, grpc.status.UNIMPLEMENTED, "not served on this stream"));
        const retryOrFail = (failure: ExchangeFailure) => {
          waiting?.abort?.listen(undefined);
          if (failure.unprocessed && triesLeft > 0) return attempt(triesLeft - 1, stream);
          if (timeLeft() > WAITING_RETRY_PAUSE_MS) return void setTimeout(() => attempt(triesLeft, stream), WAITING_RETRY_PAUSE_MS);
          reject(new ControlPlaneError(method, failure.code, failure.details));
        };
        const onDeadline = (ms: number) => () => {
          stream.forget(callId);
          waiting?.abort?.listen(undefined);
          // A stream that let a call run past the full deadline is not trusted with more (a shorter one proves less).
          if (ms >= options.deadlineMs) {
            stream.retire();
            // Late answers still come in on it (a late lease gets released); one that never ends is cut.
            setTimeout(() => stream.cancel(), RETIRED_STREAM_GRACE_MS).unref();
          }
          reject(new ControlPlaneError(method, grpc.status.DEADLINE_EXCEEDED, `no answer within ${ms} ms`));
        };
        const firstMs = untilMs === undefined ? deadlineMs : Math.max(1, timeLeft());
        let deadline = setTimeout(onDeadline(firstMs), firstMs);
        const callId = stream.send(exchangeCall, {
          answer(result) {
            clearTimeout(deadline);
            waiting?.abort?.listen(undefined);
            if (result.case === method) return resolve(result.value);
            if (result.case === "error") {
              const { code, message } = result.value;
              if (method === "checkKey" && NOT_SERVED.has(code)) withoutKeyCheck.add(stream);
              // A draining replica refuses a call before running it (or hands a queued one back): another replica can take it.
              if (code === grpc.status.UNAVAILABLE && (triesLeft > 0 || timeLeft() > 0)) {
                stream.retire();
                return attempt(Math.max(0, triesLeft - 1), stream);
              }
              return reject(new ControlPlaneError(method, code as grpc.status, message));
            }
            reject(new ControlPlaneError(method, grpc.status.INTERNAL, `answered ${result.case ?? "nothing"} to ${method}`));
          },
          fail(failure) {
            clearTimeout(deadline);
            retryOrFail(failure);
          },
          queued(notice) {
            if (!waiting) return;
            untilMs = Date.now() + notice.waitMs + options.deadlineMs;
            clearTimeout(deadline);
            deadline = setTimeout(onDeadline(timeLeft()), timeLeft());
          },
        });
        waiting?.abort?.listen(() => {
          clearTimeout(deadline);
          stream.forget(callId);
          // The control plane takes the waiter out of its queue; a lease it granted meanwhile comes back as a late answer and is released.
          stream.send({ case: "cancel", value: create(CancelCallSchema, { callId }) }, { answer() {}, fail() {} });
          reject(new ControlPlaneError(method, grpc.status.CANCELLED, "the caller stopped waiting"));
        });
      };
      attempt(1);
    }).finally(() => stop?.());
  }

  function release(init: MessageInitShape<typeof ReleaseRequestSchema>): Promise<void> {
    const pending = call("release", { case: "release", value: create(ReleaseRequestSchema, init) }).then(() => {});
    const tracked = pending.catch(() => {}).finally(() => pendingReleases.delete(tracked));
    pendingReleases.add(tracked);
    return pending;
  }

  return {
    async acquire(init, abort) {
      try {
        const waiting = (init.maxWaitMs ?? 0) > 0 ? { abort } : undefined;
        const response = (await call("acquire", { case: "acquire", value: create(AcquireRequestSchema, init) }, options.deadlineMs, waiting)) as AcquireResponse;
        const result = response.result;
        if (result.case === "lease") return { kind: "lease", lease: result.value };
        if (result.case === "refusal") return { kind: "refusal", refusal: result.value };
        return { kind: "error", error: new ControlPlaneError("acquire", grpc.status.INTERNAL, "empty AcquireResponse") };
      } catch (error) {
        return { kind: "error", error: error as ControlPlaneError };
      }
    },
    async renew(leaseId) {
      const response = await call("renew", { case: "renew", value: create(RenewRequestSchema, { leaseId }) });
      return (response as { ttlMs: number }).ttlMs;
    },
    release,
    async checkKey(keyHash) {
      try {
        const { result } = (await call("checkKey", { case: "checkKey", value: create(CheckKeyRequestSchema, { keyHash }) }, checkKeyDeadlineMs)) as CheckKeyResponse;
        if (result.case === "accepted") return { kind: "accepted", keyId: result.value.keyId };
        if (result.case === "refusal") return { kind: "refused", refusal: result.value };
        return { kind: "unchecked", reason: "error", error: new ControlPlaneError("checkKey", grpc.status.INTERNAL, "empty CheckKeyResponse") };
      } catch (error) {
        const failure = error as ControlPlaneError;
        return { kind: "unchecked", reason: NOT_SERVED.has(failure.grpcCode) ? "unsupported" : "error", error: failure };
      }
    },
    onKeysChanged(listener) {
      keyListeners.add(listener);
      return () => keyListeners.delete(listener);
    },
    listModels(keyHash) {
      return new Promise((resolve, reject) => {
        const deadline = new Date(Date.now() + options.deadlineMs);
        stub.listModels(create(ListModelsRequestSchema, { keyHash }), metadata, { deadline }, (error, response) => {
          if (error) reject(new ControlPlaneError("ListModels", error.code, error.details, { cause: error }));
          else if (response) resolve(response);
          else reject(new ControlPlaneError("ListModels", grpc.status.INTERNAL, "empty ListModelsResponse"));
        });
      });
    },
    keyUsage(keyHash, clientAddress) {
      return new Promise((resolve, reject) => {
        const deadline = new Date(Date.now() + options.deadlineMs);
        stub.getKeyUsage(create(GetKeyUsageRequestSchema, { keyHash, clientAddress }), metadata, { deadline }, (error, response) => {
          if (error) reject(new ControlPlaneError("GetKeyUsage", error.code, error.details, { cause: error }));
          else if (response) resolve(response);
          else reject(new ControlPlaneError("GetKeyUsage", grpc.status.INTERNAL, "empty GetKeyUsageResponse"));
        });
      });
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
      closed = true;
      for (const stream of streams.splice(0)) stream.cancel();
      stub.close();
    },
  };
}

/**
 * Serves LeaseService.Exchange: Acquire, Renew and Release as messages on one
 * long-lived stream (see the contract on `rpc Exchange` in lease_service.proto).
 * Each request runs through the same path as its unary method (lease-calls.ts)
 * and is answered with its call_id as soon as it is done, so answers may come
 * in any order. A failed call is answered with a CallError and the stream goes on.
 *
 * This module owns when a stream ends: after the caller half-closes, or once
 * endAll() was called (the server is closing), in both cases as soon as no call
 * is in flight on it, with status OK. A request that arrives on a stream that is
 * ending is answered UNAVAILABLE at once, so an ending stream cannot be kept
 * open by new work; every request is either answered or, when the stream ends
 * first, never run, so the caller may retry unanswered calls elsewhere.
 * The internal token is checked by the interceptor before the handler runs.
 *
 * It also tells every open stream when client keys may have changed (a
 * KeysChanged with call_id 0), so relays drop the CheckKey answers they keep.
 *
 * An ExchangeBatch is taken apart: each of its calls is run as if it had come
 * alone, all of them in the same turn, so the Redis commands they issue go out
 * in one auto-pipelined write (redis/client.ts). Once a stream has sent a
 * batch, the answers that are ready in the same turn go back as one
 * ExchangeResponseBatch (turn-batcher.ts; a lone answer stays unwrapped); a
 * stream that never sent one, an older relay's, gets one message per answer.
 * With `batches: false` a batch is answered as older control planes answer it
 * (no call they know: a CallError for call_id 0).
 *
 * An Acquire that joins the wait queue is told so first (AcquireQueued, same
 * call_id), so the caller can wait for it past its usual deadline.
 * A CancelCall stops an Acquire of the same stream still in flight (one
 * waiting in the queue leaves it at once); a stream that ends stops all of its
 * Acquires the same way, so a relay that went away leaves no waiter behind.
 */
import { create } from "@bufbuild/protobuf";
import { status, type ServerDuplexStream } from "@grpc/grpc-js";
import type { Logger } from "@claude-relay/logging";
import { CallErrorSchema, CancelResponseSchema, ExchangeResponseSchema, KeysChangedSchema, type ExchangeRequest, type ExchangeResponse } from "@claude-relay/proto/lease";
import { assertNever } from "../errors.js";
import { HAND_BACK } from "../leases/queued-acquire.js";
import { DRAINING_DETAILS } from "./interceptors/draining.js";
import type { CallFailure, LeaseCalls } from "./lease-calls.js";
import { createTurnBatcher, type TurnBatcher } from "@claude-relay/proto/turn-batcher";

/** A grpc-js Exchange stream, server side. */
export type ExchangeStream = ServerDuplexStream<ExchangeRequest, ExchangeResponse>;

/** Options of createLeaseExchange. */
export interface LeaseExchangeOptions {
  calls: LeaseCalls;
  log: Logger;
  /** True while the process drains: Acquire is answered UNAVAILABLE, Renew, Release and CheckKey are served. */
  isDraining?: () => boolean;
  /** Subscribes to changes of client keys (returns the unsubscribe function); each is told to every open stream. */
  onKeysChanged?: (listener: () => void) => () => void;
  /** Whether ExchangeBatch messages are served (default true); false answers them as older control planes do. */
  batches?: boolean;
}

/** The Exchange handler and the open streams it serves. */
export interface LeaseExchange {
  /** The grpc-js handler of Exchange. */
  handle(stream: ExchangeStream): void;
  /** Ends every open stream once nothing is in flight on it; streams opened later end at once. Stops telling key changes. */
  endAll(): void;
}

type ExchangeResult = ExchangeResponse["result"];

const drainingError = callError(status.UNAVAILABLE, DRAINING_DETAILS);
const noCallError = callError(status.INVALID_ARGUMENT, "the exchange request carries no call");
const internalError = callError(status.INTERNAL, "internal error");
const nestedBatchError = callError(status.INVALID_ARGUMENT, "a batch cannot hold a batch");
/** The most answers one message carries. */
const MAX_BATCH_ANSWERS = 256;
/** The notice of a key change; call_id 0 is never a caller's. */
const keysChanged = create(ExchangeResponseSchema, { callId: 0, result: { case: "keysChanged", value: create(KeysChangedSchema) } });

/** Builds the Exchange handler. */
export function createLeaseExchange({ calls, log, isDraining = () => false, onKeysChanged, batches = true }: LeaseExchangeOptions): LeaseExchange {
  const open = new Set<ExchangeSession>();
  let closing = false;
  const stopKeyChanges = onKeysChanged?.(() => {
    for (const session of open) session.tell(keysChanged);
  });

  // The calls answer every failure as a value; the catch only keeps a bug from leaving a call unanswered.
  async function run(call: ExchangeRequest["call"], stop: CallStop, tell: (result: ExchangeResult) => void): Promise<ExchangeResult> {
    try {
      switch (call.case) {
        case "acquire": {
          if (isDraining()) return drainingError;
          const answer = await calls.acquire(call.value, stop, (queued) => tell({ case: "queued", value: queued }));
          return answer.ok ? { case: "acquire", value: answer.value } : toErrorResult(answer.failure);
        }
        case "renew": {
          const answer = await calls.renew(call.value);
          return answer.ok ? { case: "renew", value: answer.value } : toErrorResult(answer.failure);
        }
        case "release": {
          const answer = await calls.release(call.value);
          return answer.ok ? { case: "release", value: answer.value } : toErrorResult(answer.failure);
        }
        case "checkKey": {
          // Served while draining: it reads the cache only, and answers before the relay's Acquire goes elsewhere.
          const answer = await calls.checkKey(call.value);
          return answer.ok ? { case: "checkKey", value: answer.value } : toErrorResult(answer.failure);
        }
        case "cancel":
          // Answered by the session, which knows the stream's calls; never run.
          return internalError;
        case "batch":
          // Only a batch inside a batch gets here; with batches off, a batch is a call this version does not know.
          return batches ? nestedBatchError : noCallError;
        case undefined:
          return noCallError;
        default:
          return assertNever(call);
      }
    } catch (err) {
      log.error({ err }, "exchange call failed");
      return internalError;
    }
  }

  return {
    handle(stream) {
      const session = new ExchangeSession(stream, run, open, batches);
      open.add(session);
      if (closing) session.endWhenIdle(true);
    },
    endAll() {
      closing = true;
      stopKeyChanges?.();
      for (const session of open) session.endWhenIdle(true);
    },
  };
}

/** One open Exchange stream: counts its calls in flight and ends it when asked and idle. */
class ExchangeSession {
  private inFlight = 0;
  private ending = false;
  /** Ended, cancelled or failed: nothing more is run or written. */
  private done = false;
  /** Gathers answers once the caller sent a batch: it then takes batched answers too. */
  private answers: TurnBatcher<ExchangeResponse> | undefined;
  /** The stop switch of each Acquire in flight, by call_id (a CancelCall or the stream's end pulls it). */
  private readonly stops = new Map<number, CallStop>();

  constructor(
    private readonly stream: ExchangeStream,
    private readonly run: (call: ExchangeRequest["call"], stop: CallStop, tell: (result: ExchangeResult) => void) => Promise<ExchangeResult>,
    private readonly open: Set<ExchangeSession>,
    private readonly batches: boolean,
  ) {
    stream.on("data", this.onRequest);
    stream.on("end", this.onHalfClose);
    // grpc-js already turns a stream 'error' into a status; these only stop further writes.
    stream.on("cancelled", this.onGone);
    stream.on("error", this.onGone);
    stream.on("close", this.onGone);
  }

  /**
   * Ends the stream as soon as no call is in flight on it. With `handBack` (the server is closing), Acquires
   * waiting in the queue, which would hold the stream open, go back to the caller, keeping their places.
   */
  endWhenIdle(handBack = false): void {
    this.ending = true;
    if (handBack) for (const stop of this.stops.values()) stop.abort(HAND_BACK);
    if (this.inFlight === 0) this.finish();
  }

  private readonly onRequest = (request: ExchangeRequest): void => {
    if (this.done) return;
    if (request.call.case !== "batch" || !this.batches) return this.accept(request);
    this.answers ??= createTurnBatcher({ maxItems: MAX_BATCH_ANSWERS, flush: this.writeAnswers });
    for (const call of request.call.value.calls) this.accept(call);
  };

  private accept(request: ExchangeRequest): void {
    if (request.call.case === "cancel") {
      const stop = this.stops.get(request.call.value.callId);
      stop?.abort();
      this.send(create(ExchangeResponseSchema, { callId: request.callId, result: { case: "cancel", value: create(CancelResponseSchema, { cancelled: stop !== undefined }) } }));
      return;
    }
    if (this.ending) {
      this.send(create(ExchangeResponseSchema, { callId: request.callId, result: drainingError }));
      return;
    }
    this.inFlight++;
    void this.answer(request);
  }

  /** Writes an answer now, or with the others of this turn once the caller sent a batch. */
  private send(response: ExchangeResponse): void {
    if (this.answers) this.answers.add(response);
    else this.stream.write(response);
  }

  private readonly writeAnswers = (responses: ExchangeResponse[]): void => {
    if (this.done) return;
    if (responses.length === 1) this.stream.write(responses[0] as ExchangeResponse);
    else this.stream.write(create(ExchangeResponseSchema, { callId: 0, result: { case: "batch", value: { results: responses } } }));
  };

  /** Writes a message that answers no call, unless the stream is over. */
  tell(message: ExchangeResponse): void {
    if (!this.done) this.stream.write(message);
  }

  private readonly onHalfClose = (): void => this.endWhenIdle();

  private readonly onGone = (): void => {
    this.done = true;
    this.open.delete(this);
    for (const stop of this.stops.values()) stop.abort();
  };

  private async answer(request: ExchangeRequest): Promise<void> {
    const stop = new CallStop();
    if (request.call.case === "acquire") this.stops.set(request.callId, stop);
    // A notice about the call before its answer (it joined the queue): same call_id, and the call goes on.
    const tell = (notice: ExchangeResult) => {
      if (!this.done) this.send(create(ExchangeResponseSchema, { callId: request.callId, result: notice }));
    };
    const result = await this.run(request.call, stop, tell);
    if (this.stops.get(request.callId) === stop) this.stops.delete(request.callId);
    this.inFlight--;
    if (this.done) return;
    this.send(create(ExchangeResponseSchema, { callId: request.callId, result }));
    if (this.ending && this.inFlight === 0) this.finish();
  }

  private finish(): void {
    if (this.done) return;
    // Answers gathered for the end of the turn go out before the stream ends.
    const gathered = this.answers?.take() ?? [];
    if (gathered.length > 0) this.writeAnswers(gathered);
    this.done = true;
    this.open.delete(this);
    this.stream.end();
  }
}

/**
 * A call's stop switch whose AbortSignal is made only when asked for: only an Acquire that waits in the
 * queue asks, and an AbortController per call cost about 2% of the control plane's CPU under load.
 */
class CallStop {
  private controller: AbortController | undefined;
  private stopped = false;
  private reason: unknown;

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.stopped && !this.controller.signal.aborted) this.controller.abort(this.reason);
    return this.controller.signal;
  }

  abort(reason?: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

function callError(code: status, message: string): ExchangeResult {
  return { case: "error", value: create(CallErrorSchema, { code, message }) };
}

function toErrorResult(failure: CallFailure): ExchangeResult {
  return { case: "error", value: create(CallErrorSchema, { code: failure.code, message: failure.details }) };
}

/**
 * One open LeaseService.Exchange stream: each call goes out as a message with a
 * call id of its own, and the answer with that id settles it, in whatever order
 * answers come. A message on an open stream costs a fraction of a unary call
 * (no HTTP/2 stream, no header blocks), which is why the relay uses this.
 *
 * When the stream ends, every call still waiting fails. It fails as
 * `unprocessed` when the control plane ended the stream cleanly (it only does
 * so with nothing in flight, so those calls never ran and may be sent again),
 * and as a plain failure when the stream broke (they may or may not have run).
 *
 * A message with call id 0 answers no call (ids start at 1 and skip 0 when they
 * wrap): it is a notice the control plane sends unasked, handed to onNotice.
 *
 * With `batchMaxCalls` above 1, the calls sent in one turn of the event loop go
 * out as one ExchangeBatch message (turn-batcher.ts); a turn with one call
 * sends it alone, unwrapped. Answers that come as an ExchangeResponseBatch are
 * taken one by one. A control plane older than batches answers a batch with a
 * CallError for call id 0; none of its calls ran, so they are sent again one
 * message each on this stream (or, when that error says the stream is ending,
 * fail as `unprocessed`), and this stream sends no more batches.
 */
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { type AcquireQueued, type CallError, type ExchangeRequest, ExchangeRequestSchema, type ExchangeResponse } from "@claude-relay/proto/lease";
import { createTurnBatcher } from "@claude-relay/proto/turn-batcher";

/** What one of the stream's calls carries, and what answers it. */
export type ExchangeCall = ExchangeRequest["call"];
export type ExchangeResult = ExchangeResponse["result"];

/** Why a call got no answer. */
export interface ExchangeFailure {
  code: grpc.status;
  details: string;
  /** True when the call certainly never ran on the control plane, so sending it again is safe. */
  unprocessed: boolean;
}

/** Settles one call. */
export interface ExchangeWaiter {
  answer(result: ExchangeResult): void;
  fail(failure: ExchangeFailure): void;
  /** A notice about the call before its answer (an Acquire joined the queue); the call goes on. */
  queued?(notice: AcquireQueued): void;
}

/** A duplex stream as the generic grpc-js client returns it. */
export type ExchangeDuplex = grpc.ClientDuplexStream<ExchangeRequest, ExchangeResponse>;

/** One Exchange stream. */
export interface ExchangeStream {
  readonly openedAt: number;
  /** Calls sent and neither answered nor forgotten. */
  readonly inFlight: number;
  /** False once the stream ended, broke or was retired: send nothing more on it. */
  readonly usable: boolean;
  /** Sends a call; returns its id. */
  send(call: ExchangeCall, waiter: ExchangeWaiter): number;
  /** Drops a call whose caller stopped waiting (its deadline passed); its answer, if one comes, goes to onLateAnswer. */
  forget(callId: number): void;
  /** Takes no new calls and half-closes once those in flight are answered; the control plane then ends the stream. */
  retire(): void;
  /** Ends the stream at once; calls still waiting fail with CANCELLED. */
  cancel(): void;
}

/** Options of openExchangeStream. */
export interface ExchangeStreamOptions {
  /** An answer to a forgotten call (an Acquire granted after the caller gave up must still be released). */
  onLateAnswer?: (call: ExchangeCall, result: ExchangeResult) => void;
  /** A message that answers no call (call id 0), such as KeysChanged. */
  onNotice?: (result: ExchangeResult) => void;
  /** The most calls one message carries; 0 or 1 (the default) sends every call alone. */
  batchMaxCalls?: number;
  now?: () => number;
}

/** Starts an Exchange call on the stub (`open` is the bound `stub.exchange`) and wraps it. */
export function openExchangeStream(open: () => ExchangeDuplex, options: ExchangeStreamOptions = {}): ExchangeStream {
  const waiting = new Map<number, { call: ExchangeCall; waiter: ExchangeWaiter }>();
  const forgotten = new Map<number, ExchangeCall>();
  let nextId = 1;
  let ended = false;
  let retired = false;
  let halfClosed = false;
  /** Ids sent inside a batch and not answered yet: the calls an older control plane never ran. */
  const batched = new Set<number>();
  let batching = (options.batchMaxCalls ?? 0) > 1;
  const duplex = open();
  const batcher = createTurnBatcher<ExchangeRequest>({
    maxItems: options.batchMaxCalls ?? 1,
    flush(requests) {
      writeCalls(requests);
      halfCloseWhenIdle();
    },
  });

  function writeCalls(requests: ExchangeRequest[]): void {
    if (ended || halfClosed) return;
    if (!batching || requests.length === 1) {
      for (const request of requests) duplex.write(request);
      return;
    }
    for (const request of requests) batched.add(request.callId);
    duplex.write(create(ExchangeRequestSchema, { callId: 0, call: { case: "batch", value: { calls: requests } } }));
  }

  /** An older control plane refused a batch: its calls never ran. Sends them again alone, or fails them when the stream is ending. */
  function onBatchRefused(error: CallError): void {
    batching = false;
    const resend = error.code === grpc.status.INVALID_ARGUMENT;
    const ids = [...batched];
    batched.clear();
    for (const callId of ids) {
      const entry = waiting.get(callId);
      if (!entry) {
        forgotten.delete(callId);
        continue;
      }
      if (resend) {
        duplex.write(create(ExchangeRequestSchema, { callId, call: entry.call }));
        continue;
      }
      waiting.delete(callId);
      entry.waiter.fail({ code: grpc.status.UNAVAILABLE, details: `the control plane refused a batch: ${error.message}`, unprocessed: true });
    }
    writeCalls(batcher.take());
    halfCloseWhenIdle();
  }

  const halfCloseWhenIdle = () => {
    if (retired && !halfClosed && !ended && waiting.size === 0 && batcher.size === 0) {
      halfClosed = true;
      duplex.end();
    }
  };

  const onAnswer = (response: ExchangeResponse) => {
    if (response.callId === 0) {
      if (response.result.case === "error" && batched.size > 0) onBatchRefused(response.result.value);
      else options.onNotice?.(response.result);
      return;
    }
    batched.delete(response.callId);
    const entry = waiting.get(response.callId);
    if (entry && response.result.case === "queued") {
      entry.waiter.queued?.(response.result.value);
      return;
    }
    if (response.result.case === "queued") return;
    if (entry) {
      waiting.delete(response.callId);
      entry.waiter.answer(response.result);
      halfCloseWhenIdle();
      return;
    }
    const call = forgotten.get(response.callId);
    if (call) {
      forgotten.delete(response.callId);
      options.onLateAnswer?.(call, response.result);
    }
  };
  duplex.on("data", (response: ExchangeResponse) => {
    if (response.result.case !== "batch") return onAnswer(response);
    for (const answer of response.result.value.results) if (answer.result.case !== "batch") onAnswer(answer);
  });

  const finish = (failure: ExchangeFailure) => {
    if (ended) return;
    ended = true;
    // Calls still queued were never written: they certainly never ran.
    const unsent = new Set(batcher.take().map((request) => request.callId));
    const unsentFailure = failure.code === grpc.status.CANCELLED ? failure : { ...failure, unprocessed: true };
    const entries = [...waiting];
    waiting.clear();
    forgotten.clear();
    batched.clear();
    for (const [callId, { waiter }] of entries) waiter.fail(unsent.has(callId) ? unsentFailure : failure);
  };
  // A clean end comes as status OK (the control plane drained, or answered the half-close).
  duplex.on("status", (status: grpc.StatusObject) => {
    if (status.code === grpc.status.OK) finish({ code: grpc.status.UNAVAILABLE, details: "the control plane ended the lease stream", unprocessed: true });
    else finish(brokenStream(status.code, status.details));
  });
  duplex.on("error", (error: grpc.ServiceError) => finish(brokenStream(error.code ?? grpc.status.UNKNOWN, error.details ?? error.message)));

  return {
    openedAt: (options.now ?? Date.now)(),
    get inFlight() {
      return waiting.size;
    },
    get usable() {
      return !ended && !retired;
    },
    send(call, waiter) {
      const callId = nextId;
      nextId = nextId >= 0xffff_ffff ? 1 : nextId + 1;
      waiting.set(callId, { call, waiter });
      const request = create(ExchangeRequestSchema, { callId, call });
      if (batching) batcher.add(request);
      else duplex.write(request);
      return callId;
    },
    forget(callId) {
      const entry = waiting.get(callId);
      if (!entry) return;
      waiting.delete(callId);
      if (!ended) forgotten.set(callId, entry.call);
      halfCloseWhenIdle();
    },
    retire() {
      retired = true;
      halfCloseWhenIdle();
    },
    cancel() {
      retired = true;
      duplex.cancel();
      finish({ code: grpc.status.CANCELLED, details: "lease stream closed by the relay", unprocessed: false });
    },
  };
}

/**
 * A stream that broke fails its calls as UNAVAILABLE whatever status it ended with (a reset
 * connection can end as INTERNAL or UNKNOWN): a call's own failures come as CallErrors, so a
 * broken stream is always the transport's doing. A refused token stays UNAUTHENTICATED.
 */
function brokenStream(code: grpc.status, details: string): ExchangeFailure {
  if (code === grpc.status.UNAUTHENTICATED) return { code, details, unprocessed: false };
  return { code: grpc.status.UNAVAILABLE, details: `lease stream broke (${grpc.status[code] ?? code}): ${details}`, unprocessed: false };
}

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
 */
import { create } from "@bufbuild/protobuf";
import { status, type ServerDuplexStream } from "@grpc/grpc-js";
import type { Logger } from "@claude-relay/logging";
import { CallErrorSchema, ExchangeResponseSchema, type ExchangeRequest, type ExchangeResponse } from "@claude-relay/proto/lease";
import { assertNever } from "../errors.js";
import { DRAINING_DETAILS } from "./interceptors/draining.js";
import type { CallFailure, LeaseCalls } from "./lease-calls.js";

/** A grpc-js Exchange stream, server side. */
export type ExchangeStream = ServerDuplexStream<ExchangeRequest, ExchangeResponse>;

/** Options of createLeaseExchange. */
export interface LeaseExchangeOptions {
  calls: LeaseCalls;
  log: Logger;
  /** True while the process drains: Acquire is answered UNAVAILABLE, Renew and Release are served. */
  isDraining?: () => boolean;
}

/** The Exchange handler and the open streams it serves. */
export interface LeaseExchange {
  /** The grpc-js handler of Exchange. */
  handle(stream: ExchangeStream): void;
  /** Ends every open stream once nothing is in flight on it; streams opened later end at once. */
  endAll(): void;
}

type ExchangeResult = ExchangeResponse["result"];

const drainingError = callError(status.UNAVAILABLE, DRAINING_DETAILS);
const noCallError = callError(status.INVALID_ARGUMENT, "the exchange request carries no call");
const internalError = callError(status.INTERNAL, "internal error");

/** Builds the Exchange handler. */
export function createLeaseExchange({ calls, log, isDraining = () => false }: LeaseExchangeOptions): LeaseExchange {
  const open = new Set<ExchangeSession>();
  let closing = false;

  // The calls answer every failure as a value; the catch only keeps a bug from leaving a call unanswered.
  async function run(call: ExchangeRequest["call"]): Promise<ExchangeResult> {
    try {
      switch (call.case) {
        case "acquire": {
          if (isDraining()) return drainingError;
          const answer = await calls.acquire(call.value);
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
      const session = new ExchangeSession(stream, run, open);
      open.add(session);
      if (closing) session.endWhenIdle();
    },
    endAll() {
      closing = true;
      for (const session of open) session.endWhenIdle();
    },
  };
}

/** One open Exchange stream: counts its calls in flight and ends it when asked and idle. */
class ExchangeSession {
  private inFlight = 0;
  private ending = false;
  /** Ended, cancelled or failed: nothing more is run or written. */
  private done = false;

  constructor(
    private readonly stream: ExchangeStream,
    private readonly run: (call: ExchangeRequest["call"]) => Promise<ExchangeResult>,
    private readonly open: Set<ExchangeSession>,
  ) {
    stream.on("data", this.onRequest);
    stream.on("end", this.onHalfClose);
    // grpc-js already turns a stream 'error' into a status; these only stop further writes.
    stream.on("cancelled", this.onGone);
    stream.on("error", this.onGone);
    stream.on("close", this.onGone);
  }

  /** Ends the stream as soon as no call is in flight on it. */
  endWhenIdle(): void {
    this.ending = true;
    if (this.inFlight === 0) this.finish();
  }

  private readonly onRequest = (request: ExchangeRequest): void => {
    if (this.done) return;
    if (this.ending) {
      this.stream.write(create(ExchangeResponseSchema, { callId: request.callId, result: drainingError }));
      return;
    }
    this.inFlight++;
    void this.answer(request);
  };

  private readonly onHalfClose = (): void => this.endWhenIdle();

  private readonly onGone = (): void => {
    this.done = true;
    this.open.delete(this);
  };

  private async answer(request: ExchangeRequest): Promise<void> {
    const result = await this.run(request.call);
    this.inFlight--;
    if (this.done) return;
    this.stream.write(create(ExchangeResponseSchema, { callId: request.callId, result }));
    if (this.ending && this.inFlight === 0) this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.open.delete(this);
    this.stream.end();
  }
}

function callError(code: status, message: string): ExchangeResult {
  return { case: "error", value: create(CallErrorSchema, { code, message }) };
}

function toErrorResult(failure: CallFailure): ExchangeResult {
  return { case: "error", value: create(CallErrorSchema, { code: failure.code, message: failure.details }) };
}

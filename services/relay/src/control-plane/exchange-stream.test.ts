/**
 * The batching of one Exchange stream, over a scripted duplex (no I/O): what
 * goes out when, how an older control plane's refusal of a batch is handled,
 * and how calls fail when the stream ends with some of them still unsent.
 */
import { EventEmitter } from "node:events";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { AcquireRequestSchema, ExchangeResponseSchema, type ExchangeRequest, type ExchangeResponse } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import { type ExchangeDuplex, type ExchangeFailure, type ExchangeResult, openExchangeStream } from "./exchange-stream.js";

/** A duplex that records what is written and lets the test answer. */
function scriptedDuplex() {
  const emitter = new EventEmitter();
  const written: ExchangeRequest[] = [];
  const duplex = Object.assign(emitter, {
    write: (message: ExchangeRequest) => void written.push(message),
    end: () => {},
    cancel: () => {},
  });
  return { duplex: duplex as unknown as ExchangeDuplex, written, answer: (response: ExchangeResponse) => emitter.emit("data", response), emit: emitter.emit.bind(emitter) };
}

const acquire = { case: "acquire" as const, value: create(AcquireRequestSchema, { keyHash: "ab".repeat(32), model: "m" }) };
const turnEnd = () => new Promise((resolve) => setImmediate(resolve));

function recorder() {
  const answers = new Map<number, ExchangeResult[]>();
  const failures = new Map<number, ExchangeFailure>();
  const waiterFor = (index: number) => ({
    answer: (result: ExchangeResult) => answers.set(index, [...(answers.get(index) ?? []), result]),
    fail: (failure: ExchangeFailure) => failures.set(index, failure),
  });
  return { answers, failures, waiterFor };
}

const released = (callId: number): ExchangeResponse => create(ExchangeResponseSchema, { callId, result: { case: "release", value: {} } });
const refusedBatch = (code: grpc.status) => create(ExchangeResponseSchema, { callId: 0, result: { case: "error", value: { code, message: "no call" } } });

describe("openExchangeStream with batching", () => {
  it("writes the calls of one turn as one batch at the end of the turn, and a lone call unwrapped", async () => {
    const wire = scriptedDuplex();
    const stream = openExchangeStream(() => wire.duplex, { batchMaxCalls: 256 });
    const { waiterFor } = recorder();
    for (let i = 0; i < 3; i++) stream.send(acquire, waiterFor(i));
    expect(wire.written).toHaveLength(0);
    await turnEnd();
    expect(wire.written).toHaveLength(1);
    expect(wire.written[0]?.callId).toBe(0);
    expect(wire.written[0]?.call.case === "batch" && wire.written[0].call.value.calls.map((c) => c.callId)).toEqual([1, 2, 3]);
    stream.send(acquire, waiterFor(3));
    await turnEnd();
    expect(wire.written[1]).toMatchObject({ callId: 4, call: { case: "acquire" } });
  });

  it("settles each call of an answer batch once, whatever else arrives for its id", async () => {
    const wire = scriptedDuplex();
    const stream = openExchangeStream(() => wire.duplex, { batchMaxCalls: 256 });
    const { answers, waiterFor } = recorder();
    for (let i = 0; i < 3; i++) stream.send(acquire, waiterFor(i));
    await turnEnd();
    wire.answer(create(ExchangeResponseSchema, { callId: 0, result: { case: "batch", value: { results: [released(2), released(1), released(3)] } } }));
    wire.answer(released(2));
    expect([...answers.values()].map((list) => list.length)).toEqual([1, 1, 1]);
    expect(stream.inFlight).toBe(0);
  });

  it("sends every call of a batch again alone when the control plane does not know batches, and batches no more", async () => {
    const wire = scriptedDuplex();
    const stream = openExchangeStream(() => wire.duplex, { batchMaxCalls: 256 });
    const { answers, failures, waiterFor } = recorder();
    for (let i = 0; i < 3; i++) stream.send(acquire, waiterFor(i));
    await turnEnd();
    for (let i = 3; i < 5; i++) stream.send(acquire, waiterFor(i));
    await turnEnd();
    expect(wire.written.map((m) => m.call.case)).toEqual(["batch", "batch"]);
    // The first refusal resends the calls of both batches; the second finds nothing left to resend.
    wire.answer(refusedBatch(grpc.status.INVALID_ARGUMENT));
    wire.answer(refusedBatch(grpc.status.INVALID_ARGUMENT));
    expect(wire.written.slice(2).map((m) => [m.callId, m.call.case])).toEqual([
      [1, "acquire"],
      [2, "acquire"],
      [3, "acquire"],
      [4, "acquire"],
      [5, "acquire"],
    ]);
    expect(failures.size).toBe(0);
    expect(answers.size).toBe(0);
    // Later calls go out alone at once, without waiting for the end of the turn.
    stream.send(acquire, waiterFor(5));
    stream.send(acquire, waiterFor(6));
    expect(wire.written.slice(7).map((m) => m.call.case)).toEqual(["acquire", "acquire"]);
    wire.answer(released(1));
    expect(answers.get(0)).toHaveLength(1);
  });

  it("fails the calls of a batch as never run when an ending control plane refused it, so they may go elsewhere", async () => {
    const wire = scriptedDuplex();
    const stream = openExchangeStream(() => wire.duplex, { batchMaxCalls: 256 });
    const { failures, waiterFor } = recorder();
    for (let i = 0; i < 2; i++) stream.send(acquire, waiterFor(i));
    await turnEnd();
    wire.answer(refusedBatch(grpc.status.UNAVAILABLE));
    expect([...failures.values()]).toEqual([
      expect.objectContaining({ code: grpc.status.UNAVAILABLE, unprocessed: true }),
      expect.objectContaining({ code: grpc.status.UNAVAILABLE, unprocessed: true }),
    ]);
    expect(wire.written).toHaveLength(1);
  });

  it("hands a call-0 error to onNotice when no batch is waiting", async () => {
    const wire = scriptedDuplex();
    const notices: ExchangeResult[] = [];
    openExchangeStream(() => wire.duplex, { batchMaxCalls: 256, onNotice: (result) => notices.push(result) });
    wire.answer(refusedBatch(grpc.status.INVALID_ARGUMENT));
    expect(notices).toHaveLength(1);
  });

  it("fails calls still unsent as never run when the stream breaks, and those sent as maybe run", async () => {
    const wire = scriptedDuplex();
    const stream = openExchangeStream(() => wire.duplex, { batchMaxCalls: 256 });
    const { failures, waiterFor } = recorder();
    stream.send(acquire, waiterFor(0));
    stream.send(acquire, waiterFor(1));
    await turnEnd();
    stream.send(acquire, waiterFor(2));
    wire.emit("status", { code: grpc.status.INTERNAL, details: "reset", metadata: new grpc.Metadata() });
    expect(failures.get(0)).toMatchObject({ code: grpc.status.UNAVAILABLE, unprocessed: false });
    expect(failures.get(1)).toMatchObject({ code: grpc.status.UNAVAILABLE, unprocessed: false });
    expect(failures.get(2)).toMatchObject({ code: grpc.status.UNAVAILABLE, unprocessed: true });
    await turnEnd();
    expect(wire.written).toHaveLength(1);
  });

  it("writes every call at once with batching off", () => {
    const wire = scriptedDuplex();
    const stream = openExchangeStream(() => wire.duplex);
    const { waiterFor } = recorder();
    for (let i = 0; i < 3; i++) stream.send(acquire, waiterFor(i));
    expect(wire.written.map((m) => m.call.case)).toEqual(["acquire", "acquire", "acquire"]);
  });
});

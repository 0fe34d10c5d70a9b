/**
 * What the benchmarks and their driver processes say to each other: the options a
 * driver takes (one JSON argument) and the messages it prints (JSON lines).
 */
import type { LatencySummary } from "./stats.js";

/** One HTTP request, sent the same way to every target. */
export interface HttpRequestSpec {
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The answer is an SSE stream, complete only when it carries `streamEnd`. */
  stream: boolean;
  /** What a complete stream ends with; `event: message_stop` (the Messages API's) when absent. */
  streamEnd?: string;
}

/** load-driver: keep `concurrency` requests in flight for warmupMs + durationMs. */
export interface LoadOptions {
  mode: "load";
  request: HttpRequestSpec;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
}

/** load-driver: open `streams` requests at once and hold them until the upstream ends them. */
export interface HoldOptions {
  mode: "hold";
  request: HttpRequestSpec;
  streams: number;
  /** Give up waiting for every stream's first byte after this long (the run still completes). */
  openTimeoutMs: number;
}

/** Sent by a hold run once every stream has its first byte (or the open timeout passed). */
export interface HoldOpenMessage {
  type: "open";
  open: number;
  elapsedMs: number;
}

/** The figures of a load run, measured after the warm-up. */
export interface LoadResultMessage {
  type: "result";
  /** Requests completed inside the measured window. */
  requests: number;
  /** Requests completed over the whole run, warm-up included (to share out the CPU a process used). */
  completed: number;
  /** Failed requests over the whole run, warm-up included: a failure is a failure. */
  errors: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: LatencySummary;
  /** Time to the first body byte. */
  ttfbMs: LatencySummary;
  /** Mean response body size, to show what was moved. */
  responseBytes: number;
  /** The first few failures, as text. */
  errorSamples: string[];
}

/** The end of a hold run. */
export interface HoldResultMessage {
  type: "result";
  completed: number;
  errors: number;
  durationMs: number;
  /** When the first stream ended, in ms from the driver's start (the same clock as HoldOpenMessage.elapsedMs). */
  firstEndMs: number;
  errorSamples: string[];
}

/** leases-driver: Acquire + Release pairs, `concurrency` in flight, against one target. */
export interface PairsOptions {
  mode: "pairs";
  target: string;
  token: string;
  keyHash: string;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** The most lease calls one Exchange message carries; 0 sends each alone. */
  batchMaxCalls: number;
}

/** The figures of a pairs run. */
export interface PairsResultMessage {
  type: "result";
  pairs: number;
  /** Pairs completed over the whole run, warm-up included. */
  completed: number;
  seconds: number;
  pairsPerSecond: number;
  pairMs: LatencySummary;
  acquireMs: LatencySummary;
  /** gRPC failures, and acquires answered with a refusal (none are expected with unlimited accounts). */
  errors: number;
  refusals: number;
  errorSamples: string[];
}

/** leases-driver: `calls` parallel acquires spread over several replicas, each holding its lease `holdMs`. */
export interface ContentionOptions {
  mode: "contention";
  targets: string[];
  token: string;
  keyHash: string;
  calls: number;
  holdMs: number;
  /** Deadline of each call. */
  deadlineMs: number;
  /** As in PairsOptions. */
  batchMaxCalls: number;
}

/** The end of a contention run. */
export interface ContentionResultMessage {
  type: "result";
  granted: number;
  /** Calls answered with a refusal: expected, most calls find every slot taken. */
  refusals: number;
  errors: number;
  durationMs: number;
  /** Highest number of leases held at once, per account id, as counted by the driver. */
  highest: Record<string, number>;
  errorSamples: string[];
}

/** Keeps the first few failure texts. */
export function createErrorLog(limit = 5): { add(text: string): void; samples: string[] } {
  const samples: string[] = [];
  return {
    add(text) {
      if (samples.length < limit && !samples.includes(text)) samples.push(text);
    },
    samples,
  };
}

/**
 * The HTTP load driver, run as its own process so its work is not charged to the
 * target. One undici Pool with one connection per request in flight, and the
 * low-level dispatch API so the driver's own cost stays small and equal for
 * every target.
 *
 * - load: `concurrency` workers send back to back for warmupMs + durationMs; only
 *   requests that finish inside the measured window (after the warm-up) give figures.
 * - hold: opens `streams` requests at once, reports when each has its first byte,
 *   and waits until the upstream ends them.
 *
 * A request fails on a transport error, a status other than 200, or a stream that
 * ends without its end marker (message_stop, or [DONE] on the OpenAI route).
 */
import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { openParentChannel } from "./support/parent-channel.js";
import {
  createErrorLog,
  type HoldOpenMessage,
  type HoldOptions,
  type HoldResultMessage,
  type HttpRequestSpec,
  type LoadOptions,
  type LoadResultMessage,
} from "./support/driver-protocol.js";
import { summarize } from "./support/stats.js";

/** One finished request. */
interface Exchange {
  ok: boolean;
  error?: string;
  startedAt: number;
  endedAt: number;
  /** 0 when no body byte arrived. */
  firstByteAt: number;
  bytes: number;
}

const MESSAGES_STREAM_END = "event: message_stop";

function send(pool: Pool, spec: HttpRequestSpec, onFirstByte?: () => void): Promise<Exchange> {
  return new Promise((resolve) => {
    const exchange: Exchange = { ok: false, startedAt: performance.now(), endedAt: 0, firstByteAt: 0, bytes: 0 };
    let status = 0;
    let tail = "";
    pool.dispatch(
      { method: "POST", path: spec.path, headers: spec.headers, body: spec.body },
      {
        // undici takes a handler as the new-style API only when it has onRequestStart.
        onRequestStart() {},
        onResponseStart(_controller, statusCode) {
          status = statusCode;
        },
        onResponseData(_controller, chunk) {
          if (exchange.firstByteAt === 0) {
            exchange.firstByteAt = performance.now();
            onFirstByte?.();
          }
          exchange.bytes += chunk.length;
          tail = (tail + chunk.toString("latin1")).slice(-64);
        },
        onResponseEnd() {
          exchange.endedAt = performance.now();
          if (status !== 200) exchange.error = `status ${status}: ${tail.slice(-48)}`;
          else if (spec.stream && !tail.includes(spec.streamEnd ?? MESSAGES_STREAM_END)) exchange.error = `stream ended without ${spec.streamEnd ?? "message_stop"}`;
          exchange.ok = exchange.error === undefined;
          resolve(exchange);
        },
        onResponseError(_controller, err) {
          exchange.endedAt = performance.now();
          exchange.error = `${(err as { code?: string }).code ?? err.name}: ${err.message}`;
          resolve(exchange);
        },
      },
    );
  });
}

function createPool(spec: HttpRequestSpec, connections: number): Pool {
  return new Pool(spec.origin, {
    connections,
    pipelining: 1,
    // Generous: a stuck request becomes an error instead of a hung benchmark.
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
    keepAliveTimeout: 30_000,
  });
}

async function runLoad(options: LoadOptions): Promise<LoadResultMessage> {
  const pool = createPool(options.request, options.concurrency);
  const errors = createErrorLog();
  const latencies: number[] = [];
  const ttfbs: number[] = [];
  let failures = 0;
  let completed = 0;
  let bytes = 0;
  const begin = performance.now();
  const windowStart = begin + options.warmupMs;
  const windowEnd = windowStart + options.durationMs;

  const worker = async () => {
    while (performance.now() < windowEnd) {
      const exchange = await send(pool, options.request);
      if (!exchange.ok) {
        failures++;
        errors.add(exchange.error ?? "unknown failure");
        continue;
      }
      completed++;
      if (exchange.endedAt < windowStart || exchange.endedAt > windowEnd) continue;
      latencies.push(exchange.endedAt - exchange.startedAt);
      ttfbs.push((exchange.firstByteAt || exchange.endedAt) - exchange.startedAt);
      bytes += exchange.bytes;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await pool.close();
  const seconds = options.durationMs / 1000;
  return {
    type: "result",
    requests: latencies.length,
    completed,
    errors: failures,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    latencyMs: summarize(latencies),
    ttfbMs: summarize(ttfbs),
    responseBytes: latencies.length > 0 ? bytes / latencies.length : 0,
    errorSamples: errors.samples,
  };
}

async function runHold(options: HoldOptions, emit: (message: HoldOpenMessage) => void): Promise<HoldResultMessage> {
  const pool = createPool(options.request, options.streams);
  const errors = createErrorLog();
  const begin = performance.now();
  let open = 0;
  let announced = false;
  const announce = () => {
    if (announced) return;
    announced = true;
    clearTimeout(openTimer);
    emit({ type: "open", open, elapsedMs: performance.now() - begin });
  };
  const openTimer = setTimeout(announce, options.openTimeoutMs);
  const exchanges = await Promise.all(
    Array.from({ length: options.streams }, () =>
      send(pool, options.request, () => {
        if (++open === options.streams) announce();
      }),
    ),
  );
  announce();
  await pool.close();
  let failures = 0;
  for (const exchange of exchanges) {
    if (exchange.ok) continue;
    failures++;
    errors.add(exchange.error ?? "unknown failure");
  }
  return {
    type: "result",
    completed: exchanges.length - failures,
    errors: failures,
    durationMs: performance.now() - begin,
    firstEndMs: Math.min(...exchanges.map((e) => e.endedAt)) - begin,
    errorSamples: errors.samples,
  };
}

async function main(): Promise<void> {
  const channel = openParentChannel();
  const options = channel.options<LoadOptions | HoldOptions>();
  const result = options.mode === "load" ? await runLoad(options) : await runHold(options, channel.emit);
  channel.finish(result);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

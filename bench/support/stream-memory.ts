/**
 * Memory per concurrent stream: a relay's resident set while it idles, then while
 * it holds many slow streams open at once. The difference over the number of
 * streams is what one more client stream costs it. A GC cannot be forced from
 * outside, so both readings are the median of a couple of seconds of samples.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { HoldOpenMessage, HoldResultMessage, LoadResultMessage } from "./driver-protocol.js";
import { runToResult, type BenchProcess, type ProcessGroup } from "./process-group.js";
import { benchReply, benchRequest } from "./relay-scenarios.js";
import { readStatusKb, steadyRssKb } from "./rss.js";

const LOAD_DRIVER = fileURLToPath(new URL("../load-driver.ts", import.meta.url));

/**
 * Pause between streamed events in the slow reply: its 26 events then take about 12 s,
 * which leaves room for the reading even when opening them all takes several seconds.
 */
export const SLOW_EVENT_DELAY_MS = 500;

/** What the memory run measured. */
export interface StreamMemory {
  streams: number;
  /** Streams that had their first byte when the open reading started. */
  open: number;
  openMs: number;
  beforeKb: number;
  duringKb: number;
  /** VmHWM after the run: the relay's lifetime peak. */
  peakKb: number;
  perStreamKb: number;
  /** False when a stream ended before the reading finished (opening them all took too long). */
  heldThroughReading: boolean;
  /** Failed requests: in the warm-up, or streams that did not complete. */
  errors: number;
  errorSamples: string[];
}

/**
 * Warms the relay up, reads its idle RSS, switches the mock to slow streams, opens
 * `streams` of them through the relay and reads its RSS while all are open.
 */
export async function measureStreamMemory(group: ProcessGroup, mock: BenchProcess, relay: { url: string; pid: number }, key: string, streams: number): Promise<StreamMemory> {
  // A fresh relay compiles its hot code and fills its pools on the first requests; that is not per-stream memory.
  const warm = await runToResult<LoadResultMessage>(
    group,
    "load-driver (memory warm-up)",
    LOAD_DRIVER,
    { mode: "load", request: benchRequest(relay.url, key, true), concurrency: 16, warmupMs: 0, durationMs: 2_000 },
    60_000,
  );
  await sleep(1_000);
  const beforeKb = await steadyRssKb(relay.pid, 2_000);

  mock.send({ setDefault: benchReply(SLOW_EVENT_DELAY_MS) });
  await mock.next("default-set", 5_000);
  const hold = group.script("load-driver (hold)", LOAD_DRIVER, [
    JSON.stringify({ mode: "hold", request: benchRequest(relay.url, key, true), streams, openTimeoutMs: 30_000 }),
  ]);
  try {
    const opened = await hold.next<HoldOpenMessage>("open", 60_000);
    const openedAt = performance.now();
    await sleep(500);
    const duringKb = await steadyRssKb(relay.pid, 2_500);
    // The end of the reading on the driver's clock, which started opened.elapsedMs before openedAt.
    const readingEndMs = opened.elapsedMs + (performance.now() - openedAt);
    const done = await hold.next<HoldResultMessage>("result", 90_000);
    return {
      streams,
      open: opened.open,
      openMs: opened.elapsedMs,
      beforeKb,
      duringKb,
      peakKb: readStatusKb(relay.pid, "VmHWM"),
      perStreamKb: opened.open > 0 ? (duringKb - beforeKb) / opened.open : Number.NaN,
      heldThroughReading: done.firstEndMs >= readingEndMs,
      errors: warm.errors + done.errors,
      errorSamples: [...warm.errorSamples, ...done.errorSamples],
    };
  } finally {
    await hold.stop();
    mock.send({ setDefault: benchReply() });
    await mock.next("default-set", 5_000).catch(() => {});
  }
}

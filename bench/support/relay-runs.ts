/**
 * One measured run of a relay-bench scenario against one target (a pipe, the lease
 * floor or a relay stack): a fresh load-driver process, the RSS of the target's
 * front process and the CPU of its processes over the run, and the run's span on
 * the machine's monotonic clock (the clock of V8's CPU profiles, so a profile of
 * the whole process can be cut down to the runs that matter). Also the pre-warm
 * every target gets before its first run, and a one-request probe.
 */
import { fileURLToPath } from "node:url";
import type { LoadResultMessage } from "./driver-protocol.js";
import { runToResult, type BenchProcess, type ProcessGroup } from "./process-group.js";
import { benchRequest, type Scenario } from "./relay-scenarios.js";
import { formatNumber } from "./report.js";
import { startCpuMeter } from "./cpu-time.js";
import { createRssSampler } from "./rss.js";
import type { TimeWindow } from "./cpu-profile.js";

const LOAD_DRIVER = fileURLToPath(new URL("../load-driver.ts", import.meta.url));

/** Warm-up and measured time of each run, in ms. */
export interface RunSettings {
  warmupMs: number;
  durationMs: number;
}

/** A target: where to send requests, with which key, and its processes. */
export interface Target {
  name: string;
  origin: string;
  key: string;
  /** The process that serves the client (its RSS and CPU are reported). */
  pid: number;
  controlPlanePid?: number;
}

/** One measured run against one target. */
export interface Run {
  target: string;
  scenario: Scenario;
  result: LoadResultMessage;
  peakRssKb: number;
  /** CPU time per completed request of the front process, and of the control plane (NaN for the baseline). */
  cpuMsPerRequest: number;
  controlPlaneCpuMsPerRequest: number;
  /** The whole run, warm-up included, on the monotonic clock: what the CPU figures cover. */
  window: TimeWindow;
}

/** Now on the monotonic clock, in µs (CLOCK_MONOTONIC on Linux, as V8's profiler timestamps). */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Runs one scenario against one target, sampling the RSS of its front process and the CPU of its processes. */
export async function measure(group: ProcessGroup, target: Target, scenario: Scenario, settings: RunSettings): Promise<Run> {
  const { warmupMs, durationMs } = settings;
  const sampler = createRssSampler(target.pid);
  const startUs = monotonicUs();
  const stopCpu = startCpuMeter([target.pid, target.controlPlanePid ?? -1]);
  const request = benchRequest(target.origin, target.key, scenario.stream, scenario.api);
  const options = { mode: "load", request, concurrency: scenario.concurrency, warmupMs, durationMs };
  const name = `load-driver (${target.name} ${scenario.label})`;
  const result = await runToResult<LoadResultMessage>(group, name, LOAD_DRIVER, options, warmupMs + durationMs + 60_000);
  const [frontCpuMs = Number.NaN, controlPlaneCpuMs = Number.NaN] = stopCpu();
  const endUs = monotonicUs();
  const { requestsPerSecond, latencyMs, errors } = result;
  console.log(`  ${scenario.label.padEnd(9)} ${target.name.padEnd(8)} ${formatNumber(requestsPerSecond, 1)} req/s, p50 ${formatNumber(latencyMs.p50)} ms, errors ${errors}`);
  return {
    target: target.name,
    scenario,
    result,
    peakRssKb: sampler.stop(),
    cpuMsPerRequest: frontCpuMs / result.completed,
    controlPlaneCpuMsPerRequest: controlPlaneCpuMs / result.completed,
    window: { startUs, endUs },
  };
}

/**
 * Load left out of every figure, before a target's first measured run: each process starts with
 * its code interpreted, and the JIT needs thousands of requests to compile the hot paths of a
 * stack this size. Without it, the first run (JSON at 1 in flight) would measure the warm-up of
 * the relay and the control plane against a bare pipe that warms up in a moment.
 */
export async function prewarm(group: ProcessGroup, target: Target, prewarmMs: number): Promise<LoadResultMessage[]> {
  const results: LoadResultMessage[] = [];
  if (prewarmMs <= 0) return results;
  for (const stream of [false, true]) {
    const options = { mode: "load", request: benchRequest(target.origin, target.key, stream), concurrency: 64, warmupMs: 0, durationMs: prewarmMs / 2 };
    results.push(await runToResult<LoadResultMessage>(group, `load-driver (${target.name} pre-warm)`, LOAD_DRIVER, options, prewarmMs + 60_000));
  }
  return results;
}

/** One request through the target, so a broken setup fails in a second, with the logs of `processes`. */
export async function probe(origin: string, key: string, processes: readonly BenchProcess[]): Promise<void> {
  const { body, headers, path } = benchRequest(origin, key, false);
  const res = await fetch(origin + path, { method: "POST", headers, body, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (res.status === 200) return;
  const logs = processes.map((p) => `--- ${p.name} output (end):\n${p.tail()}`).join("\n");
  throw new Error(`probe of ${origin} answered ${res.status}: ${text.slice(0, 300)}\n${logs}`);
}

/** The result of the run with this request shape and concurrency. */
export function findRun(runs: readonly Run[], stream: boolean, concurrency: number): LoadResultMessage {
  const run = runs.find((r) => r.scenario.stream === stream && r.scenario.concurrency === concurrency && r.scenario.api === undefined);
  if (!run) throw new Error(`no run with stream=${stream} concurrency=${concurrency}`);
  return run.result;
}

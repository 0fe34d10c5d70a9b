/**
 * `npm run bench:relay`: what the relay costs over the least a Node relay can do,
 * and over the least a relay with an exact per-request lease can do.
 *
 * The mock upstream, a bare pass-through (baseline-pipe.ts), the lease floor (the
 * same pass-through plus one exact Redis lease per request, on its own
 * redis-server) and the full stack (redis-server, control plane, relay, one
 * unlimited account on the mock, one key) each run as their own processes on
 * 127.0.0.1, and the same load comes from a separate driver process per run: JSON
 * and SSE, at 1 and 64 requests in flight, each scenario on the baseline, the
 * floor and then the relay. Then memory per stream: a fresh relay holding many
 * slow streams open. With BENCH_PROFILE=1, CPU profiles of the relay and the
 * control plane over the JSON run at 64 in flight.
 * Ends with one `RESULT` line. See bench/README.md.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startRedis } from "@claude-relay/testkit";
import type { LoadResultMessage } from "./support/driver-protocol.js";
import { benchReply, OPENAI_SCENARIOS, REPLY_EVENTS, REPLY_TEXT_BYTES, SCENARIOS } from "./support/relay-scenarios.js";
import { findRun as find, measure, prewarm, probe, type Run, type Target } from "./support/relay-runs.js";
import { formatNumber, formatResultLine, formatTable } from "./support/report.js";
import { envNumber, runBenchmark } from "./support/run-benchmark.js";
import { connectAdmin, missingBuilds, repoRoot, startControlPlane, startRelay } from "./support/services.js";
import { cpuProfileArgs, makeStackProfileDirs, printProfile, readStackProfiles } from "./support/profile-report.js";
import { measureStreamMemory, type StreamMemory } from "./support/stream-memory.js";

const WARMUP_MS = envNumber("BENCH_WARMUP_MS", 2_000);
const DURATION_MS = envNumber("BENCH_DURATION_MS", 8_000);
const STREAMS = envNumber("BENCH_STREAMS", 1_000);
const PREWARM_MS = envNumber("BENCH_PREWARM_MS", 10_000);
const MOCK = fileURLToPath(new URL("./mock-upstream-process.ts", import.meta.url));
const BASELINE = fileURLToPath(new URL("./baseline-pipe.ts", import.meta.url));
const BASELINE_KEY = "sk-ant-bench-baseline-client";
const settings = { warmupMs: WARMUP_MS, durationMs: DURATION_MS };
const PROFILE = process.env.BENCH_PROFILE === "1";
/** A profile is written as the process exits, and a long one takes a while to serialize. */
const PROFILED_STOP_GRACE_MS = 60_000;

/** Every scenario of the relay against both floors: throughput ratios at the same concurrency, added latency. */
function printAgainstFloors(baseline: readonly Run[], floor: readonly Run[], full: readonly Run[]): void {
  const columns = ["scenario", "relay/pipe req/s", "relay/floor req/s", "floor/pipe req/s", "p50 over pipe", "p50 over floor", "p99 over pipe", "p99 over floor"];
  const rows = full.map(({ scenario, result: relay }) => {
    const pipe = find(baseline, scenario.stream, scenario.concurrency);
    const lease = find(floor, scenario.stream, scenario.concurrency);
    return [
      scenario.label,
      relay.requestsPerSecond / pipe.requestsPerSecond,
      relay.requestsPerSecond / lease.requestsPerSecond,
      lease.requestsPerSecond / pipe.requestsPerSecond,
      relay.latencyMs.p50 - pipe.latencyMs.p50,
      relay.latencyMs.p50 - lease.latencyMs.p50,
      relay.latencyMs.p99 - pipe.latencyMs.p99,
      relay.latencyMs.p99 - lease.latencyMs.p99,
    ];
  });
  console.log(`${formatTable(columns, rows)}\n`);
}

/** Prints the table and the derived figures; returns the figures of the RESULT line but memory's. */
function printReport(baseline: readonly Run[], floor: readonly Run[], full: readonly Run[], openai: readonly Run[], memory: StreamMemory, prewarmed: readonly LoadResultMessage[]) {
  const runs = [...baseline, ...floor, ...full, ...openai];
  const columns = ["target", "scenario", "req/s", "p50 ms", "p99 ms", "ttfb p50", "ttfb p99", "errors", "peak RSS MB", "cpu ms/req", "cp cpu ms/req", "body B"];
  const rows = runs.map(({ target, scenario, result: r, peakRssKb, cpuMsPerRequest, controlPlaneCpuMsPerRequest }) => [
    target,
    scenario.label,
    formatNumber(r.requestsPerSecond, 1),
    r.latencyMs.p50,
    r.latencyMs.p99,
    r.ttfbMs.p50,
    r.ttfbMs.p99,
    r.errors,
    formatNumber(peakRssKb / 1024, 1),
    cpuMsPerRequest,
    controlPlaneCpuMsPerRequest,
    Math.round(r.responseBytes),
  ]);
  console.log(`\n${formatTable(columns, rows, 2)}\n`);
  printAgainstFloors(baseline, floor, full);

  const added = (stream: boolean, p: "p50" | "p99") => find(full, stream, 1).latencyMs[p] - find(baseline, stream, 1).latencyMs[p];
  const ratio = (stream: boolean) => find(full, stream, 64).requestsPerSecond / find(baseline, stream, 64).requestsPerSecond;
  const ms = (value: number) => `${formatNumber(value)} ms`;
  console.log(
    `added latency at concurrency 1 (relay - baseline): json p50 ${ms(added(false, "p50"))}, p99 ${ms(added(false, "p99"))}; ` +
      `sse p50 ${ms(added(true, "p50"))}, p99 ${ms(added(true, "p99"))}`,
  );
  console.log(`throughput at concurrency 64 (relay / baseline): json ${formatNumber(ratio(false))}, sse ${formatNumber(ratio(true))}`);
  const floorRatio = (stream: boolean) => find(full, stream, 64).requestsPerSecond / find(floor, stream, 64).requestsPerSecond;
  const overFloor = (stream: boolean, p: "p50" | "p99") => find(full, stream, 1).latencyMs[p] - find(floor, stream, 1).latencyMs[p];
  console.log(
    `against the lease floor: throughput at 64 (relay / floor) json ${formatNumber(floorRatio(false))}, sse ${formatNumber(floorRatio(true))}; ` +
      `added at 1 (relay - floor) json p50 ${ms(overFloor(false, "p50"))}, p99 ${ms(overFloor(false, "p99"))}; ` +
      `the floor itself at 64: ${formatNumber(find(floor, false, 64).requestsPerSecond / find(baseline, false, 64).requestsPerSecond)} of the pipe (json)`,
  );
  const viaOpenAi = (stream: boolean, concurrency: number) => openai.find((r) => r.scenario.stream === stream && r.scenario.concurrency === concurrency)?.result;
  const jsonOne = viaOpenAi(false, 1);
  const sseOne = viaOpenAi(true, 1);
  const jsonMany = viaOpenAi(false, 64);
  if (jsonOne && sseOne && jsonMany) {
    console.log(
      `openai route vs the native route at concurrency 1: json p50 +${ms(jsonOne.latencyMs.p50 - find(full, false, 1).latencyMs.p50)}, ` +
        `sse p50 +${ms(sseOne.latencyMs.p50 - find(full, true, 1).latencyMs.p50)}, sse ttfb p50 +${ms(sseOne.ttfbMs.p50 - find(full, true, 1).ttfbMs.p50)}; ` +
        `throughput at 64 (openai / native json): ${formatNumber(jsonMany.requestsPerSecond / find(full, false, 64).requestsPerSecond)}`,
    );
  }
  const mb = (kb: number) => `${formatNumber(kb / 1024, 1)} MB`;
  console.log(
    `memory: relay RSS ${mb(memory.beforeKb)} idle, ${mb(memory.duringKb)} with ${memory.open} of ${memory.streams} streams open ` +
      `(opened in ${formatNumber(memory.openMs / 1000, 1)} s), peak ${mb(memory.peakKb)} -> ${formatNumber(memory.perStreamKb)} KB per stream`,
  );
  if (!memory.heldThroughReading) console.log("  note: some streams ended before the reading did (opening them all was slow), so the figure is low");

  const samples = [
    ...runs.flatMap((r) => r.result.errorSamples.map((text) => `${r.target} ${r.scenario.label}: ${text}`)),
    ...memory.errorSamples.map((text) => `memory: ${text}`),
    ...prewarmed.flatMap((r) => r.errorSamples.map((text) => `pre-warm: ${text}`)),
  ];
  for (const sample of samples.slice(0, 10)) console.log(`  error: ${sample}`);
  return {
    added_p50_ms: added(false, "p50"),
    added_p99_ms: added(false, "p99"),
    throughput_ratio: ratio(false),
    lease_floor_ratio: floorRatio(false),
    errors: runs.reduce((sum, r) => sum + r.result.errors, 0) + memory.errors + prewarmed.reduce((sum, r) => sum + r.errors, 0),
  };
}

await runBenchmark("relay benchmark", 420_000 + (PROFILE ? 120_000 : 0), async (group) => {
  const missing = missingBuilds(["control-plane", "relay"]);
  if (missing.length > 0) throw new Error(`${missing.join(", ")} missing: run \`npm run build\` first`);
  console.log(
    `relay benchmark: ${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s measured per run; ` +
      `reply: ${REPLY_TEXT_BYTES} B of text, as JSON or as ${REPLY_EVENTS} SSE text deltas\n`,
  );

  const mock = group.script("mock-upstream", MOCK, [JSON.stringify({ reply: benchReply() })]);
  const { url: mockUrl } = await mock.next<{ url: string }>("ready", 30_000);

  const pipe = group.script("baseline-pipe", BASELINE, [JSON.stringify({ upstream: mockUrl, connections: 128 })]);
  const { url: pipeUrl } = await pipe.next<{ url: string }>("ready", 30_000);
  await probe(pipeUrl, BASELINE_KEY, [pipe, mock]);

  const floorRedis = await startRedis({ own: true });
  group.onClose(() => floorRedis.close());
  const floorLease = { redisUrl: floorRedis.url, limit: 1_000_000, ttlMs: 60_000 };
  const floorPipe = group.script("lease-floor", BASELINE, [JSON.stringify({ upstream: mockUrl, connections: 128, lease: floorLease })]);
  const { url: floorUrl } = await floorPipe.next<{ url: string }>("ready", 30_000);
  await probe(floorUrl, BASELINE_KEY, [floorPipe, mock]);

  const redis = await startRedis({ own: true });
  group.onClose(() => redis.close());
  // BENCH_PROFILE=1: both services write a CPU profile as they exit, reported over the JSON runs at 64 in flight.
  const profileDirs = PROFILE ? await makeStackProfileDirs(process.env.BENCH_PROFILE_DIR ?? (await mkdtemp(join(tmpdir(), "claude-relay-profiles-")))) : undefined;
  const controlPlane = await startControlPlane(group, "control-plane", redis.url, {}, { nodeArgs: profileDirs ? cpuProfileArgs(profileDirs.controlPlane) : [] });
  const admin = await connectAdmin(controlPlane.adminUrl);
  await admin.createAccount("bench-account", mockUrl, 0);
  const key = await admin.createKey("bench");
  const relay = await startRelay(group, "relay", controlPlane.grpcTarget, {}, { nodeArgs: profileDirs ? cpuProfileArgs(profileDirs.relay) : [] });
  await probe(relay.url, key.plaintext, [relay.process, controlPlane.process, mock]);

  // Each scenario runs on the baseline, then at once on the relay, so a change in the
  // machine's other load over the minutes of the run skews both sides alike.
  console.log("baseline = bare undici pipe; floor = the pipe + one exact Redis lease per request; relay = redis-server + control plane + relay:");
  const baselineTarget: Target = { name: "baseline", origin: pipeUrl, key: BASELINE_KEY, pid: pipe.pid };
  const floorTarget: Target = { name: "floor", origin: floorUrl, key: BASELINE_KEY, pid: floorPipe.pid };
  const relayTarget: Target = { name: "relay", origin: relay.url, key: key.plaintext, pid: relay.process.pid, controlPlanePid: controlPlane.process.pid };
  console.log(`  pre-warming each target with ${PREWARM_MS / 1000} s of load at 64 in flight (JSON, then SSE), left out of the figures`);
  // Their failures count with the measured runs' (a request that failed is a failure whenever it ran).
  const prewarmed = [...(await prewarm(group, baselineTarget, PREWARM_MS)), ...(await prewarm(group, floorTarget, PREWARM_MS)), ...(await prewarm(group, relayTarget, PREWARM_MS))];
  const baseline: Run[] = [];
  const floor: Run[] = [];
  const full: Run[] = [];
  for (const scenario of SCENARIOS) {
    baseline.push(await measure(group, baselineTarget, scenario, settings));
    floor.push(await measure(group, floorTarget, scenario, settings));
    full.push(await measure(group, relayTarget, scenario, settings));
  }
  const openai: Run[] = [];
  for (const scenario of OPENAI_SCENARIOS) openai.push(await measure(group, relayTarget, scenario, settings));
  await pipe.stop();
  await floorPipe.stop();
  await relay.process.stop(PROFILED_STOP_GRACE_MS);

  console.log(`memory: ${STREAMS} slow streams held open through a fresh relay ...`);
  // Room for every stream's upstream connection, so none waits in the pool's queue.
  const memoryRelay = await startRelay(group, "relay-memory", controlPlane.grpcTarget, { RELAY_POOL_CONNECTIONS: String(STREAMS + 100) });
  const memory = await measureStreamMemory(group, mock, { url: memoryRelay.url, pid: memoryRelay.process.pid }, key.plaintext, STREAMS);

  await memoryRelay.process.stop();
  await controlPlane.process.stop(PROFILED_STOP_GRACE_MS);
  if (profileDirs) {
    console.log("\nCPU profiles, self time over the JSON run at 64 in flight (its warm-up included), main thread:");
    const profiles = await readStackProfiles("", profileDirs, repoRoot, full);
    printProfile(profiles.relay);
    printProfile(profiles.controlPlane);
  }

  const figures = printReport(baseline, floor, full, openai, memory, prewarmed);
  const failures: string[] = [];
  if (figures.errors > 0) failures.push(`${figures.errors} requests failed`);
  if (memory.open < memory.streams) failures.push(`only ${memory.open} of ${memory.streams} streams opened within 30 s`);
  const { added_p50_ms, added_p99_ms, throughput_ratio, lease_floor_ratio, errors } = figures;
  return { failures, result: formatResultLine({ added_p50_ms, added_p99_ms, throughput_ratio, lease_floor_ratio, mem_per_stream_kb: memory.perStreamKb, errors }) };
});

/**
 * `npm run bench:compare -- --against <git-ref>`: an older build of the relay and
 * the control plane against the current one, in one run, on the same mock upstream
 * and against the same two floors (the bare pipe and the lease floor of bench:relay).
 *
 * The older commit is built once in a scratch folder outside the repository
 * (support/scratch-build.ts) and reused after. Each build runs as its own stack
 * (redis-server, control plane, relay, one unlimited account, one key); all targets
 * stay up the whole time. A round runs each scenario on the pipe, the floor, the
 * old build and the new build, one after the other; three rounds by default. Then
 * memory per stream for each build. The table gives each round and the medians, and
 * which targets each build meets. `--profile` records CPU profiles of both stacks'
 * relays and control planes and reports them over the JSON runs at 64 in flight.
 * Ends with one `RESULT` line. See bench/README.md.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startRedis } from "@claude-relay/testkit";
import { checkTargets, medianFigures, roundFigures, type RoundFigures, type RoundRuns } from "./support/build-comparison.js";
import type { LoadResultMessage } from "./support/driver-protocol.js";
import type { ProcessGroup } from "./support/process-group.js";
import { cpuProfileArgs, makeStackProfileDirs, printProfile, printProfileComparison, readStackProfiles, type StackProfileDirs } from "./support/profile-report.js";
import { benchReply, REPLY_EVENTS, REPLY_TEXT_BYTES, SCENARIOS } from "./support/relay-scenarios.js";
import { measure, prewarm, probe, type Run, type Target } from "./support/relay-runs.js";
import { formatNumber, formatResultLine, formatTable, type Cell } from "./support/report.js";
import { envNumber, runBenchmark } from "./support/run-benchmark.js";
import { prepareScratchBuild } from "./support/scratch-build.js";
import { connectAdmin, missingBuilds, repoRoot, startControlPlane, startRelay, type ControlPlaneProcess, type RelayProcess } from "./support/services.js";
import { measureStreamMemory, type StreamMemory } from "./support/stream-memory.js";

const USAGE = "usage: npm run bench:compare -- [--against <git-ref>] [--rounds <n>] [--sse] [--profile] [--build-only]";
const args = (() => {
  try {
    return parseArgs({
      options: {
        against: { type: "string", default: "3243f81" },
        rounds: { type: "string", default: "3" },
        sse: { type: "boolean", default: false },
        profile: { type: "boolean", default: process.env.BENCH_PROFILE === "1" },
        "build-only": { type: "boolean", default: false },
      },
    }).values;
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(2);
  }
})();
const ROUNDS = Number(args.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error(`--rounds must be a positive integer, got ${args.rounds}\n${USAGE}`);
  process.exit(2);
}
const settings = { warmupMs: envNumber("BENCH_WARMUP_MS", 2_000), durationMs: envNumber("BENCH_DURATION_MS", 8_000) };
const STREAMS = envNumber("BENCH_STREAMS", 1_000);
const PREWARM_MS = envNumber("BENCH_PREWARM_MS", 10_000);
const SCENARIOS_RUN = SCENARIOS.filter((s) => args.sse || !s.stream);
const MOCK = fileURLToPath(new URL("./mock-upstream-process.ts", import.meta.url));
const BASELINE = fileURLToPath(new URL("./baseline-pipe.ts", import.meta.url));
const BASELINE_KEY = "sk-ant-bench-baseline-client";
/** A profile is written as the process exits, and a long one takes a while to serialize. */
const PROFILED_STOP_GRACE_MS = 60_000;

/**
 * One build under test. `env` adapts the current services.ts environment to a build that needs
 * another; 3243f81 needs none: its config schemas accept every variable services.ts sets (the
 * *_METRICS_PORT variables it does not know are dropped by its zod schemas, and it serves
 * /metrics on the main ports instead).
 */
interface Build {
  name: "old" | "new";
  describe: string;
  root: string;
  env?: { controlPlane?: Record<string, string>; relay?: Record<string, string> };
}

/** A build's running stack. */
interface Stack {
  build: Build;
  controlPlane: ControlPlaneProcess;
  relay: RelayProcess;
  key: string;
  target: Target;
  profileDirs?: StackProfileDirs;
}

function currentDescription(): string {
  const head = execFileSync("git", ["-C", repoRoot, "rev-parse", "--short=12", "HEAD"], { encoding: "utf8" }).trim();
  const dirty = execFileSync("git", ["-C", repoRoot, "status", "--porcelain", "--", "services", "shared", "proto"], { encoding: "utf8" }).trim() !== "";
  return `the working tree (HEAD ${head}${dirty ? " with uncommitted changes" : ""})`;
}

async function startStack(group: ProcessGroup, build: Build, mockUrl: string, profileRoot: string | undefined): Promise<Stack> {
  const redis = await startRedis({ own: true });
  group.onClose(() => redis.close());
  const profileDirs = profileRoot ? await makeStackProfileDirs(profileRoot, `${build.name}-`) : undefined;
  const nodeArgs = (dir?: string) => (dir ? cpuProfileArgs(dir) : []);
  const controlPlane = await startControlPlane(group, `${build.name} control-plane`, redis.url, build.env?.controlPlane, { root: build.root, nodeArgs: nodeArgs(profileDirs?.controlPlane) });
  const admin = await connectAdmin(controlPlane.adminUrl);
  await admin.createAccount("bench-account", mockUrl, 0);
  const { plaintext: key } = await admin.createKey("bench");
  const relay = await startRelay(group, `${build.name} relay`, controlPlane.grpcTarget, build.env?.relay, { root: build.root, nodeArgs: nodeArgs(profileDirs?.relay) });
  const target: Target = { name: build.name, origin: relay.url, key, pid: relay.process.pid, controlPlanePid: controlPlane.process.pid };
  await probe(relay.url, key, [relay.process, controlPlane.process]);
  return { build, controlPlane, relay, key, target, ...(profileDirs && { profileDirs }) };
}

/** The rounds table of one request shape: every round of every build, then each build's medians. */
function printRounds(title: string, rounds: readonly RoundFigures[], medians: readonly RoundFigures[]): void {
  const columns = ["round", "build", "added p50 ms", "added p99 ms", "req/s @64", "relay/pipe", "relay/floor", "relay cpu ms/req", "cp cpu ms/req", "errors"];
  const row = (f: RoundFigures): Cell[] => [f.round === 0 ? "median" : String(f.round), f.build, f.addedP50Ms, f.addedP99Ms, formatNumber(f.requestsPerSecond, 1), f.pipeRatio, f.floorRatio, f.relayCpuMsPerRequest, f.controlPlaneCpuMsPerRequest, f.errors];
  const [before, after] = medians;
  const change: Cell[] = [];
  if (before && after) {
    const diff = (pick: (f: RoundFigures) => number) => pick(after) - pick(before);
    const relative = (pick: (f: RoundFigures) => number) => `${pick(after) >= pick(before) ? "+" : ""}${formatNumber((100 * diff(pick)) / pick(before), 1)}%`;
    change.push("change", `${after.build}-${before.build}`, diff((f) => f.addedP50Ms), diff((f) => f.addedP99Ms), relative((f) => f.requestsPerSecond), diff((f) => f.pipeRatio), diff((f) => f.floorRatio), relative((f) => f.relayCpuMsPerRequest), relative((f) => f.controlPlaneCpuMsPerRequest), "");
  }
  const rows = [...rounds.map(row), ...medians.map(row), ...(change.length > 0 ? [change] : [])];
  console.log(`\n${title}\n${formatTable(columns, rows, 2)}`);
}

const old = await prepareScratchBuild(repoRoot, args.against).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  return process.exit(1);
});
if (args["build-only"]) process.exit(0);
const builds: Build[] = [
  { name: "old", describe: `${old.ref} (${old.commit.slice(0, 12)}), built in ${old.root}`, root: old.root },
  { name: "new", describe: currentDescription(), root: repoRoot },
];
const perRunMs = settings.warmupMs + settings.durationMs + 5_000;
const limitMs = 180_000 + 4 * PREWARM_MS + ROUNDS * SCENARIOS_RUN.length * 4 * perRunMs + 2 * 90_000 + (args.profile ? 4 * PROFILED_STOP_GRACE_MS : 0);

await runBenchmark("build comparison", limitMs, async (group) => {
  const missing = missingBuilds(["control-plane", "relay"]);
  if (missing.length > 0) throw new Error(`${missing.join(", ")} missing: run \`npm run build\` first`);
  for (const build of builds) console.log(`${build.name} = ${build.describe}`);
  console.log(
    `${ROUNDS} round${ROUNDS === 1 ? "" : "s"} of ${SCENARIOS_RUN.map((s) => s.label).join(", ")} on pipe, floor, old, new; ${settings.warmupMs / 1000} s warm-up + ${settings.durationMs / 1000} s measured per run; ` +
      `reply: ${REPLY_TEXT_BYTES} B of text, as JSON or as ${REPLY_EVENTS} SSE text deltas${args.profile ? "; CPU profiles on (both builds pay the profiler's cost)" : ""}\n`,
  );
  const profileRoot = args.profile ? (process.env.BENCH_PROFILE_DIR ?? (await mkdtemp(join(tmpdir(), "claude-relay-profiles-")))) : undefined;
  if (profileRoot) await mkdir(profileRoot, { recursive: true });

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
  const stacks: Stack[] = [];
  for (const build of builds) stacks.push(await startStack(group, build, mockUrl, profileRoot));

  const pipeTarget: Target = { name: "pipe", origin: pipeUrl, key: BASELINE_KEY, pid: pipe.pid };
  const floorTarget: Target = { name: "floor", origin: floorUrl, key: BASELINE_KEY, pid: floorPipe.pid };
  console.log(`pre-warming each target with ${PREWARM_MS / 1000} s of load at 64 in flight (JSON, then SSE), left out of the figures`);
  const prewarmed = new Map<string, LoadResultMessage[]>();
  for (const target of [pipeTarget, floorTarget, ...stacks.map((s) => s.target)]) prewarmed.set(target.name, await prewarm(group, target, PREWARM_MS));

  const rounds: RoundRuns[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`round ${round} of ${ROUNDS}:`);
    const pipeRuns: Run[] = [];
    const floorRuns: Run[] = [];
    const buildRuns = new Map<string, Run[]>(builds.map((b) => [b.name, []]));
    for (const scenario of SCENARIOS_RUN) {
      pipeRuns.push(await measure(group, pipeTarget, scenario, settings));
      floorRuns.push(await measure(group, floorTarget, scenario, settings));
      for (const stack of stacks) buildRuns.get(stack.build.name)?.push(await measure(group, stack.target, scenario, settings));
    }
    rounds.push({ round, pipe: pipeRuns, floor: floorRuns, builds: buildRuns });
  }
  await pipe.stop();
  await floorPipe.stop();
  // Stopped with SIGTERM and room to write their profiles; the memory runs use fresh relays.
  for (const stack of stacks) await stack.relay.process.stop(PROFILED_STOP_GRACE_MS);

  const memory = new Map<string, StreamMemory>();
  for (const stack of stacks) {
    console.log(`memory (${stack.build.name}): ${STREAMS} slow streams held open through a fresh relay ...`);
    const env = { ...stack.build.env?.relay, RELAY_POOL_CONNECTIONS: String(STREAMS + 100) };
    const relay = await startRelay(group, `${stack.build.name} relay-memory`, stack.controlPlane.grpcTarget, env, { root: stack.build.root });
    memory.set(stack.build.name, await measureStreamMemory(group, mock, { url: relay.url, pid: relay.process.pid }, stack.key, STREAMS));
    await relay.process.stop();
  }
  for (const stack of stacks) await stack.controlPlane.process.stop(PROFILED_STOP_GRACE_MS);

  const allRuns = rounds.flatMap((r) => [...r.pipe, ...r.floor, ...[...r.builds.values()].flat()]);
  if (profileRoot) {
    console.log(`\nCPU profiles (${profileRoot}), self time over the JSON runs at 64 in flight (warm-ups included), main thread only:`);
    const profiles = [];
    for (const s of stacks) profiles.push(await readStackProfiles(s.build.name, s.profileDirs as StackProfileDirs, s.build.root, allRuns.filter((r) => r.target === s.build.name)));
    const [before, after] = profiles;
    for (const which of ["relay", "controlPlane"] as const) {
      if (!before || !after) continue;
      printProfile(before[which]);
      printProfile(after[which]);
      printProfileComparison(which === "relay" ? "relay" : "control plane", before[which], after[which]);
    }
  }

  const figures = (stream: boolean) => rounds.flatMap((r) => builds.map((b) => roundFigures(r, b.name, stream)));
  const json = figures(false);
  const medians = builds.map((b) => medianFigures(b.name, json.filter((f) => f.build === b.name)));
  printRounds("JSON: added latency at 1 in flight (relay - pipe); throughput and CPU at 64 in flight", json, medians);
  if (args.sse) {
    const sse = figures(true);
    printRounds("SSE: the same figures for streamed replies", sse, builds.map((b) => medianFigures(b.name, sse.filter((f) => f.build === b.name))));
  }

  const floorErrors = allRuns.filter((r) => r.target === "pipe" || r.target === "floor").reduce((sum, r) => sum + r.result.errors, 0);
  const errorsOf = (name: string) =>
    allRuns.filter((r) => r.target === name).reduce((sum, r) => sum + r.result.errors, 0) +
    (prewarmed.get(name) ?? []).reduce((sum, r) => sum + r.errors, 0) +
    (memory.get(name)?.errors ?? 0);
  const verdicts = builds.map((b, i) => checkTargets({ json: medians[i] as RoundFigures, memPerStreamKb: memory.get(b.name)?.perStreamKb ?? Number.NaN, errors: errorsOf(b.name) }));
  const targetRows = (verdicts[0] ?? []).map((check, i) => [check.name, check.limit, ...verdicts.flatMap((v) => [v[i]?.value ?? Number.NaN, v[i]?.met ? "met" : "MISSED"])]);
  console.log(`\ntargets (JSON medians over ${ROUNDS} round${ROUNDS === 1 ? "" : "s"}; memory from one run per build; errors over every run of the build, pre-warm included)`);
  console.log(formatTable(["target", "limit", ...builds.flatMap((b) => [b.name, `${b.name} met?`])], targetRows));
  for (const [name, m] of memory) {
    console.log(`memory (${name}): RSS ${formatNumber(m.beforeKb / 1024, 1)} MB idle, ${formatNumber(m.duringKb / 1024, 1)} MB with ${m.open} of ${m.streams} streams open -> ${formatNumber(m.perStreamKb)} KB per stream`);
    if (!m.heldThroughReading) console.log(`  note: some ${name} streams ended before the reading did, so the figure is low`);
  }
  const missed = verdicts[1]?.filter((c) => !c.met).map((c) => c.name) ?? [];
  if (missed.length > 0 && !profileRoot) console.log(`the new build misses: ${missed.join("; ")}. Run again with --profile to see where its time goes.`);
  const samples = allRuns.flatMap((r) => r.result.errorSamples.map((text) => `${r.target} ${r.scenario.label}: ${text}`));
  for (const sample of samples.slice(0, 10)) console.log(`  error: ${sample}`);

  const totalErrors = floorErrors + builds.reduce((sum, b) => sum + errorsOf(b.name), 0);
  const failures: string[] = [];
  if (totalErrors > 0) failures.push(`${totalErrors} requests failed`);
  for (const [name, m] of memory) if (m.open < m.streams) failures.push(`${name}: only ${m.open} of ${m.streams} streams opened within 30 s`);
  const fields: Record<string, number> = {};
  for (const [i, b] of builds.entries()) {
    const m = medians[i] as RoundFigures;
    Object.assign(fields, {
      [`${b.name}_added_p50_ms`]: m.addedP50Ms,
      [`${b.name}_added_p99_ms`]: m.addedP99Ms,
      [`${b.name}_throughput_ratio`]: m.pipeRatio,
      [`${b.name}_lease_floor_ratio`]: m.floorRatio,
      [`${b.name}_relay_cpu_ms`]: m.relayCpuMsPerRequest,
      [`${b.name}_cp_cpu_ms`]: m.controlPlaneCpuMsPerRequest,
      [`${b.name}_mem_per_stream_kb`]: memory.get(b.name)?.perStreamKb ?? Number.NaN,
      [`${b.name}_targets_met`]: verdicts[i]?.filter((c) => c.met).length ?? 0,
    });
  }
  return { failures, result: formatResultLine({ ...fields, targets: verdicts[0]?.length ?? 0, errors: totalErrors }) };
});

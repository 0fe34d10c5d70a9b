/**
 * `npm run bench:leases`: the lease service alone, over gRPC, from a separate driver.
 *
 * 1. Speed: one control plane (own redis-server), 4 unlimited accounts and one key;
 *    Acquire + Release pairs at 1 and 64 calls in flight.
 * 2. Correctness under contention: 4 control planes on one Redis, 3 accounts with
 *    5 slots each, 2,000 Acquire calls at once spread over the replicas, each grant
 *    held a few ms and released. `overshoot` is how far the driver's count of
 *    leases held at once went above an account's limit; `leaked` is the slots
 *    still in the accounts' lease sets after every Release has been answered.
 *
 * Ends with one `RESULT` line (speed figures from the 64-in-flight run). See bench/README.md.
 */
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { createRedisKeys } from "../services/control-plane/src/redis/keys.js";
import type { ContentionResultMessage, PairsResultMessage } from "./support/driver-protocol.js";
import { runToResult, type ProcessGroup } from "./support/process-group.js";
import { formatNumber, formatResultLine, formatTable } from "./support/report.js";
import { startCpuMeter } from "./support/cpu-time.js";
import { createRssSampler } from "./support/rss.js";
import { envNumber, runBenchmark } from "./support/run-benchmark.js";
import { connectAdmin, missingBuilds, stackSecrets, startControlPlane, type ControlPlaneProcess } from "./support/services.js";

const WARMUP_MS = envNumber("BENCH_WARMUP_MS", 2_000);
const DURATION_MS = envNumber("BENCH_DURATION_MS", 8_000);
const CALLS = envNumber("BENCH_CONTENTION_CALLS", 2_000);
/** The relay's RELAY_CONTROL_PLANE_BATCH_MAX_CALLS for the driver's lease clients: 1 sends every call alone. */
const BATCH_MAX_CALLS = envNumber("BENCH_LEASE_BATCH_MAX_CALLS", 1);
const SPEED_ACCOUNTS = 4;
const REPLICAS = 4;
const LIMITED_ACCOUNTS = 3;
const LIMIT = 5;
const HOLD_MS = 5;
const LEASES_DRIVER = fileURLToPath(new URL("./leases-driver.ts", import.meta.url));
// Never called: the lease service hands the URL out, the benchmark never goes upstream.
const UNUSED_UPSTREAM = "http://127.0.0.1:9";

async function ownRedis(group: ProcessGroup): Promise<TestRedis> {
  const redis = await startRedis({ own: true });
  group.onClose(() => redis.close());
  return redis;
}

/** One pairs run and how many calls it kept in flight. */
interface SpeedRun {
  concurrency: number;
  result: PairsResultMessage;
  /** CPU time the control plane used per pair. */
  cpuMsPerPair: number;
}

/** Acquire + Release pairs at 1 and 64 in flight against one control plane. */
async function measureSpeed(group: ProcessGroup): Promise<SpeedRun[]> {
  const redis = await ownRedis(group);
  const controlPlane = await startControlPlane(group, "control-plane", redis.url);
  const admin = await connectAdmin(controlPlane.adminUrl);
  for (let i = 1; i <= SPEED_ACCOUNTS; i++) await admin.createAccount(`speed-${i}`, UNUSED_UPSTREAM, 0);
  const key = await admin.createKey("bench-speed");
  const runs: SpeedRun[] = [];
  for (const concurrency of [1, 64]) {
    const sampler = createRssSampler(controlPlane.process.pid);
    const stopCpu = startCpuMeter([controlPlane.process.pid]);
    const target = controlPlane.grpcTarget;
    const options = { mode: "pairs", target, token: stackSecrets.internalToken, keyHash: key.hash, concurrency, warmupMs: WARMUP_MS, durationMs: DURATION_MS, batchMaxCalls: BATCH_MAX_CALLS };
    const name = `leases-driver (pairs c=${concurrency})`;
    const result = await runToResult<PairsResultMessage>(group, name, LEASES_DRIVER, options, WARMUP_MS + DURATION_MS + 60_000);
    const peakMb = sampler.stop() / 1024;
    const [cpuMs = Number.NaN] = stopCpu();
    runs.push({ concurrency, result, cpuMsPerPair: cpuMs / result.completed });
    console.log(
      `  c=${String(concurrency).padEnd(3)} ${formatNumber(result.pairsPerSecond, 1)} pairs/s, pair p50 ${formatNumber(result.pairMs.p50)} ms, ` +
        `errors ${result.errors}, refusals ${result.refusals}, control plane peak RSS ${formatNumber(peakMb, 1)} MB`,
    );
  }
  await controlPlane.process.stop();
  await redis.close();
  return runs;
}

/** What the contention run found. */
interface Contention {
  result: ContentionResultMessage;
  accounts: Array<{ id: string; highest: number; left: number }>;
  keyLeft: number;
}

/** Parallel acquires over several replicas on one Redis; then counts the slots left behind. */
async function measureContention(group: ProcessGroup): Promise<Contention> {
  const redis = await ownRedis(group);
  const replicas: ControlPlaneProcess[] = [];
  for (let i = 1; i <= REPLICAS; i++) replicas.push(await startControlPlane(group, `control-plane-${i}`, redis.url));
  const admin = await connectAdmin((replicas[0] as ControlPlaneProcess).adminUrl);
  const accountIds: string[] = [];
  for (let i = 1; i <= LIMITED_ACCOUNTS; i++) accountIds.push(await admin.createAccount(`limited-${i}`, UNUSED_UPSTREAM, LIMIT));
  const key = await admin.createKey("bench-contention");

  const targets = replicas.map((r) => r.grpcTarget);
  const options = { mode: "contention", targets, token: stackSecrets.internalToken, keyHash: key.hash, calls: CALLS, holdMs: HOLD_MS, deadlineMs: 30_000, batchMaxCalls: BATCH_MAX_CALLS };
  const result = await runToResult<ContentionResultMessage>(group, "leases-driver (contention)", LEASES_DRIVER, options, 120_000);

  const keys = createRedisKeys();
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const accounts = [];
    for (const id of accountIds) {
      accounts.push({ id, highest: result.highest[id] ?? 0, left: await client.zcard(keys.accountLeases(id)) });
    }
    return { result, accounts, keyLeft: await client.zcard(keys.apiKeyLeases(key.id)) };
  } finally {
    client.disconnect();
  }
}

await runBenchmark("leases benchmark", 285_000, async (group) => {
  const missing = missingBuilds(["control-plane"]);
  if (missing.length > 0) throw new Error(`${missing.join(", ")} missing: run \`npm run build\` first`);
  console.log(`leases benchmark: ${WARMUP_MS / 1000} s warm-up + ${DURATION_MS / 1000} s measured per run, lease batches of up to ${BATCH_MAX_CALLS} calls\n`);

  console.log(`speed: 1 control plane, ${SPEED_ACCOUNTS} unlimited accounts, Acquire + Release pairs`);
  const speed = await measureSpeed(group);
  console.log(
    `contention: ${REPLICAS} control planes on one Redis, ${LIMITED_ACCOUNTS} accounts x ${LIMIT} slots, ` +
      `${CALLS} acquires at once, each grant held ${HOLD_MS} ms`,
  );
  const contention = await measureContention(group);
  const { result } = contention;

  const columns = ["in flight", "pairs/s", "pair p50 ms", "pair p99 ms", "acquire p50 ms", "acquire p99 ms", "errors", "refusals", "cp cpu ms/pair"];
  const rows = speed.map(({ concurrency, result: r, cpuMsPerPair }) => [
    String(concurrency),
    formatNumber(r.pairsPerSecond, 1),
    r.pairMs.p50,
    r.pairMs.p99,
    r.acquireMs.p50,
    r.acquireMs.p99,
    r.errors,
    r.refusals,
    cpuMsPerPair,
  ]);
  console.log(`\n${formatTable(columns, rows)}\n`);
  console.log(
    `contention: ${result.granted} granted, ${result.refusals} refused, ${result.errors} errors in ${formatNumber(result.durationMs / 1000, 2)} s; ` +
      `key slots left ${contention.keyLeft}`,
  );
  console.log(formatTable(["account", "limit", "highest held", "slots left"], contention.accounts.map((a) => [a.id, LIMIT, a.highest, a.left])));
  const samples = [...speed.flatMap((run) => run.result.errorSamples), ...result.errorSamples];
  for (const sample of samples.slice(0, 10)) console.log(`  error: ${sample}`);

  const overshoot = contention.accounts.reduce((sum, a) => sum + Math.max(0, a.highest - LIMIT), 0);
  const leaked = contention.accounts.reduce((sum, a) => sum + a.left, 0);
  const fast = (speed.find((run) => run.concurrency === 64) as SpeedRun).result;

  const failures: string[] = [];
  const errors = speed.reduce((sum, { result: r }) => sum + r.errors + r.refusals, 0) + result.errors;
  if (errors > 0) failures.push(`${errors} lease calls failed, or were refused with unlimited accounts`);
  if (overshoot > 0) failures.push(`account limits overshot by ${overshoot}`);
  if (leaked > 0 || contention.keyLeft > 0) failures.push(`${leaked} account slots and ${contention.keyLeft} key slots still held after every release`);
  if (result.granted === 0) failures.push("no acquire was granted under contention");
  const figures = { leases_per_s: fast.pairsPerSecond, p50_ms: fast.pairMs.p50, p99_ms: fast.pairMs.p99, overshoot, leaked };
  return { failures, result: formatResultLine(figures) };
});

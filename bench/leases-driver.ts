/**
 * The lease load driver, run as its own process so its work is not charged to
 * the control plane.
 *
 * - pairs: `concurrency` workers each run Acquire then Release back to back for
 *   warmupMs + durationMs against one control plane; pairs that finish inside the
 *   measured window (after the warm-up) give the figures.
 * - contention: `calls` Acquire calls at once, spread round-robin over several
 *   control planes; each granted lease is held `holdMs`, then released. The driver
 *   counts the leases it holds per account: a grant is counted when its answer
 *   arrives and uncounted before its Release is sent, so the count never exceeds
 *   what the control planes really hold, and a count above an account's limit
 *   means the limit was overshot.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { performance } from "node:perf_hooks";
import { OutcomeKind, type AcquireResponse } from "@claude-relay/proto/lease";
import { createLeaseCaller, type LeaseCaller } from "./support/lease-caller.js";
import { openParentChannel } from "./support/parent-channel.js";
import {
  createErrorLog,
  type ContentionOptions,
  type ContentionResultMessage,
  type PairsOptions,
  type PairsResultMessage,
} from "./support/driver-protocol.js";
import { summarize } from "./support/stats.js";

const MODEL = "claude-sonnet-4-5-20250929";

/** A Release as the relay sends it after a short successful answer. */
function releaseOf(leaseId: string) {
  return {
    leaseId,
    outcome: { kind: OutcomeKind.SUCCESS, status: 200 },
    usage: { model: MODEL, inputTokens: 12, outputTokens: 30 },
    latencyMs: 5,
    ttfbMs: 2,
  };
}

function describe(err: unknown): string {
  const { code, details, message } = err as { code?: number; details?: string; message?: string };
  return code !== undefined ? `grpc ${code}: ${details ?? message}` : String(message ?? err);
}

async function runPairs(options: PairsOptions): Promise<PairsResultMessage> {
  const caller = createLeaseCaller(options.target, options.token, undefined, options.batchMaxCalls);
  const errors = createErrorLog();
  const pairs: number[] = [];
  const acquires: number[] = [];
  let failures = 0;
  let refusals = 0;
  let completed = 0;
  let sequence = 0;
  const windowStart = performance.now() + options.warmupMs;
  const windowEnd = windowStart + options.durationMs;

  const worker = async () => {
    while (performance.now() < windowEnd) {
      const startedAt = performance.now();
      try {
        const answer = await caller.acquire({ keyHash: options.keyHash, model: MODEL, requestId: `bench-${++sequence}` });
        const acquiredAt = performance.now();
        if (answer.result.case !== "lease") {
          refusals++;
          errors.add(`refused: ${answer.result.value?.message ?? "empty answer"}`);
          await sleep(5);
          continue;
        }
        await caller.release(releaseOf(answer.result.value.leaseId));
        const endedAt = performance.now();
        completed++;
        if (endedAt < windowStart || endedAt > windowEnd) continue;
        pairs.push(endedAt - startedAt);
        acquires.push(acquiredAt - startedAt);
      } catch (err) {
        failures++;
        errors.add(describe(err));
        await sleep(5);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await caller.close();
  const seconds = options.durationMs / 1000;
  return {
    type: "result",
    pairs: pairs.length,
    completed,
    seconds,
    pairsPerSecond: pairs.length / seconds,
    pairMs: summarize(pairs),
    acquireMs: summarize(acquires),
    errors: failures,
    refusals,
    errorSamples: errors.samples,
  };
}

async function runContention(options: ContentionOptions): Promise<ContentionResultMessage> {
  const callers: LeaseCaller[] = options.targets.map((target) => createLeaseCaller(target, options.token, options.deadlineMs, options.batchMaxCalls));
  const errors = createErrorLog();
  const active = new Map<string, number>();
  const highest: Record<string, number> = {};
  let granted = 0;
  let refusals = 0;
  let failures = 0;
  const begin = performance.now();

  const attempt = async (index: number) => {
    const caller = callers[index % callers.length] as LeaseCaller;
    let answer: AcquireResponse;
    try {
      answer = await caller.acquire({ keyHash: options.keyHash, model: MODEL, requestId: `contention-${index}` });
    } catch (err) {
      failures++;
      errors.add(describe(err));
      return;
    }
    if (answer.result.case !== "lease") {
      refusals++;
      return;
    }
    const lease = answer.result.value;
    const accountId = lease.account?.id ?? "(none)";
    const now = (active.get(accountId) ?? 0) + 1;
    active.set(accountId, now);
    highest[accountId] = Math.max(highest[accountId] ?? 0, now);
    granted++;
    await sleep(options.holdMs);
    active.set(accountId, (active.get(accountId) ?? 1) - 1);
    try {
      await caller.release(releaseOf(lease.leaseId));
    } catch (err) {
      failures++;
      errors.add(`release: ${describe(err)}`);
    }
  };
  await Promise.all(Array.from({ length: options.calls }, (_, i) => attempt(i)));
  await Promise.all(callers.map((caller) => caller.close()));
  return {
    type: "result",
    granted,
    refusals,
    errors: failures,
    durationMs: performance.now() - begin,
    highest,
    errorSamples: errors.samples,
  };
}

async function main(): Promise<void> {
  const channel = openParentChannel();
  const options = channel.options<PairsOptions | ContentionOptions>();
  channel.finish(options.mode === "pairs" ? await runPairs(options) : await runContention(options));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * The frame every benchmark runs in: a process group for what it starts, a time
 * limit, Ctrl-C handling, and an exit code that says only whether something
 * broke. A missed performance target is a figure, not a failure; a crashed
 * process, a hung run, a failed request, an overshot limit or a leaked slot is.
 */
import { createProcessGroup, type ProcessGroup } from "./process-group.js";
import { describeMachine } from "./report.js";

/** What a benchmark body reports back. */
export interface BenchmarkOutcome {
  /** The reasons it broke, if any. */
  failures: string[];
  /** The `RESULT …` line, printed last of all. */
  result: string;
}

/** Runs `body`, then stops everything it started and exits: 0, or 1 when something broke. */
export async function runBenchmark(name: string, limitMs: number, body: (group: ProcessGroup) => Promise<BenchmarkOutcome>): Promise<never> {
  console.log(describeMachine());
  const startedAt = Date.now();
  const group = await createProcessGroup();

  let aborted = false;
  const abort = (reason: string, code: number) => {
    aborted = true;
    console.error(`\n${name}: ${reason}; stopping everything it started`);
    void group.close().finally(() => process.exit(code));
  };
  process.once("SIGINT", () => abort("interrupted", 130));
  process.once("SIGTERM", () => abort("terminated", 143));
  const limit = setTimeout(() => abort(`still running after ${Math.round(limitMs / 1000)} s, the time limit`, 1), limitMs);

  let code = 1;
  let outcome: BenchmarkOutcome | undefined;
  try {
    outcome = await body(group);
    code = outcome.failures.length > 0 ? 1 : 0;
  } catch (err) {
    // After an abort the body fails because its processes were stopped: that is not news.
    if (!aborted) console.error(`\n${name} could not finish: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    clearTimeout(limit);
    await group.close();
  }
  for (const failure of outcome?.failures ?? []) console.log(`FAILED: ${failure}`);
  console.log(`${name} finished in ${Math.round((Date.now() - startedAt) / 1000)} s`);
  if (outcome) console.log(outcome.result);
  process.exit(code);
}

/** A positive integer from the environment, or the default. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

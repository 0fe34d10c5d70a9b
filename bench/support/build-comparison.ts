/**
 * The figures of a build comparison (compare-builds.ts): per round and per build,
 * what the relay adds over the bare pipe at 1 in flight, its throughput over the
 * pipe's and the lease floor's at 64 in flight, and the CPU per request of the
 * relay and the control plane at 64; the medians over the rounds; and which of the
 * hot path's targets each build meets. Pure: the runs come in, rows come out.
 */
import type { Run } from "./relay-runs.js";
import { median } from "./stats.js";

/** One build in one round, for one request shape (JSON or SSE). */
export interface RoundFigures {
  round: number;
  build: string;
  addedP50Ms: number;
  addedP99Ms: number;
  /** Relay req/s at 64 in flight. */
  requestsPerSecond: number;
  /** Relay req/s over the pipe's, and over the lease floor's, at 64 in flight. */
  pipeRatio: number;
  floorRatio: number;
  relayCpuMsPerRequest: number;
  controlPlaneCpuMsPerRequest: number;
  /** Failed requests over this build's runs of the round (every request shape). */
  errors: number;
}

/** The runs of one round: the two floors' and each build's. */
export interface RoundRuns {
  round: number;
  pipe: readonly Run[];
  floor: readonly Run[];
  builds: ReadonlyMap<string, readonly Run[]>;
}

/** A build's figures in a round, from its runs and the floors' runs of the same round. */
export function roundFigures(runs: RoundRuns, build: string, stream: boolean): RoundFigures {
  const relay = runs.builds.get(build) ?? [];
  const pick = (list: readonly Run[], concurrency: number) => {
    const run = list.find((r) => r.scenario.stream === stream && r.scenario.concurrency === concurrency && r.scenario.api === undefined);
    if (!run) throw new Error(`round ${runs.round}: no ${stream ? "sse" : "json"} run at ${concurrency} in flight`);
    return run;
  };
  const [one, many] = [pick(relay, 1), pick(relay, 64)];
  return {
    round: runs.round,
    build,
    addedP50Ms: one.result.latencyMs.p50 - pick(runs.pipe, 1).result.latencyMs.p50,
    addedP99Ms: one.result.latencyMs.p99 - pick(runs.pipe, 1).result.latencyMs.p99,
    requestsPerSecond: many.result.requestsPerSecond,
    pipeRatio: many.result.requestsPerSecond / pick(runs.pipe, 64).result.requestsPerSecond,
    floorRatio: many.result.requestsPerSecond / pick(runs.floor, 64).result.requestsPerSecond,
    relayCpuMsPerRequest: many.cpuMsPerRequest,
    controlPlaneCpuMsPerRequest: many.controlPlaneCpuMsPerRequest,
    errors: relay.reduce((sum, r) => sum + r.result.errors, 0),
  };
}

/** The median of each figure over the rounds (errors are summed); `round` is 0. */
export function medianFigures(build: string, rounds: readonly RoundFigures[]): RoundFigures {
  const of = (pick: (r: RoundFigures) => number) => median(rounds.map(pick));
  return {
    round: 0,
    build,
    addedP50Ms: of((r) => r.addedP50Ms),
    addedP99Ms: of((r) => r.addedP99Ms),
    requestsPerSecond: of((r) => r.requestsPerSecond),
    pipeRatio: of((r) => r.pipeRatio),
    floorRatio: of((r) => r.floorRatio),
    relayCpuMsPerRequest: of((r) => r.relayCpuMsPerRequest),
    controlPlaneCpuMsPerRequest: of((r) => r.controlPlaneCpuMsPerRequest),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
  };
}

/** What a build is judged on: its JSON medians, its memory per stream, and every failed request it had. */
export interface BuildVerdictInput {
  json: RoundFigures;
  memPerStreamKb: number;
  errors: number;
}

/** A target of the hot-path work and whether a build meets it. */
export interface TargetCheck {
  name: string;
  /** e.g. "≥ 0.6". */
  limit: string;
  value: number;
  met: boolean;
}

/** The targets: lease floor ratio ≥ 0.6 at 64 in flight, added p50 ≤ 1 ms and p99 ≤ 3 ms at 1, ≤ 64 KB per stream, no errors (all JSON). */
export function checkTargets({ json, memPerStreamKb, errors }: BuildVerdictInput): TargetCheck[] {
  const atMost = (name: string, value: number, limit: number, unit = "") => ({ name, limit: `≤ ${limit}${unit}`, value, met: value <= limit });
  return [
    { name: "lease_floor_ratio (json, 64 in flight)", limit: "≥ 0.6", value: json.floorRatio, met: json.floorRatio >= 0.6 },
    atMost("added p50 (json, 1 in flight)", json.addedP50Ms, 1, " ms"),
    atMost("added p99 (json, 1 in flight)", json.addedP99Ms, 3, " ms"),
    atMost("memory per stream", memPerStreamKb, 64, " KB"),
    atMost("errors", errors, 0),
  ];
}

import { describe, expect, it } from "vitest";
import { checkTargets, medianFigures, roundFigures, type RoundFigures } from "./build-comparison.js";
import type { LoadResultMessage } from "./driver-protocol.js";
import type { Run } from "./relay-runs.js";
import { SCENARIOS } from "./relay-scenarios.js";

function run(target: string, label: string, requestsPerSecond: number, p50: number, p99: number, cpu = Number.NaN, cpCpu = Number.NaN, errors = 0): Run {
  const scenario = SCENARIOS.find((s) => s.label === label);
  if (!scenario) throw new Error(label);
  const latency = { count: 1, p50, p99, max: p99, mean: p50 };
  const result: LoadResultMessage = {
    type: "result",
    requests: 1,
    completed: 1,
    errors,
    seconds: 1,
    requestsPerSecond,
    latencyMs: latency,
    ttfbMs: latency,
    responseBytes: 0,
    errorSamples: [],
  };
  return { target, scenario, result, peakRssKb: 0, cpuMsPerRequest: cpu, controlPlaneCpuMsPerRequest: cpCpu, window: { startUs: 0, endUs: 1 } };
}

describe("roundFigures", () => {
  it("measures a build against the pipe and the floor of its own round", () => {
    const figures = roundFigures(
      {
        round: 2,
        pipe: [run("pipe", "json c=1", 2000, 0.5, 1), run("pipe", "json c=64", 10_000, 6, 9)],
        floor: [run("floor", "json c=1", 1500, 0.7, 1.5), run("floor", "json c=64", 5_000, 12, 20)],
        builds: new Map([["new", [run("new", "json c=1", 900, 1.25, 3.5, 1, 1, 1), run("new", "json c=64", 4_000, 16, 30, 0.3, 0.2, 2)]]]),
      },
      "new",
      false,
    );
    expect(figures).toEqual({
      round: 2,
      build: "new",
      addedP50Ms: 0.75,
      addedP99Ms: 2.5,
      requestsPerSecond: 4_000,
      pipeRatio: 0.4,
      floorRatio: 0.8,
      relayCpuMsPerRequest: 0.3,
      controlPlaneCpuMsPerRequest: 0.2,
      errors: 3,
    });
  });
});

describe("medianFigures", () => {
  it("takes the median of each figure and the sum of the errors", () => {
    const round = (n: number, floorRatio: number, errors: number): RoundFigures => ({
      round: n,
      build: "old",
      addedP50Ms: n,
      addedP99Ms: 10 * n,
      requestsPerSecond: 100 * n,
      pipeRatio: 0.1 * n,
      floorRatio,
      relayCpuMsPerRequest: n,
      controlPlaneCpuMsPerRequest: n,
      errors,
    });
    const median = medianFigures("old", [round(1, 0.9, 0), round(3, 0.5, 1), round(2, 0.7, 0)]);
    expect(median).toMatchObject({ round: 0, build: "old", addedP50Ms: 2, addedP99Ms: 20, floorRatio: 0.7, errors: 1 });
  });
});

describe("checkTargets", () => {
  it("meets a target at its limit and misses one past it or unmeasured", () => {
    const json = { addedP50Ms: 1, addedP99Ms: 3.2, floorRatio: 0.6 } as RoundFigures;
    const checks = checkTargets({ json, memPerStreamKb: Number.NaN, errors: 0 });
    expect(checks.map((c) => [c.name, c.met])).toEqual([
      ["lease_floor_ratio (json, 64 in flight)", true],
      ["added p50 (json, 1 in flight)", true],
      ["added p99 (json, 1 in flight)", false],
      ["memory per stream", false],
      ["errors", true],
    ]);
  });
});

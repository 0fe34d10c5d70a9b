/**
 * The figures each scenario prints: one clear line per figure, so a run's log
 * reads as a report (`[chaos] kill-relay | slots back after kill: 2412 ms`).
 */
import { readFileSync } from "node:fs";

/** Prints one figure of a scenario. */
export function figure(scenario: string, name: string, value: number | string, unit = ""): void {
  console.log(`[chaos] ${scenario} | ${name}: ${value}${unit ? ` ${unit}` : ""}`);
}

/** Resident and peak resident memory of a process, in MiB, from /proc. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0);
  return { rssMiB: Math.round(kib("VmRSS") / 1024), peakMiB: Math.round(kib("VmHWM") / 1024) };
}

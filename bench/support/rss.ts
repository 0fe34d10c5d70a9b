/**
 * Memory of another process, read from `/proc/<pid>/status` (Linux): its resident
 * set now (VmRSS), its lifetime peak (VmHWM), a sampler that keeps the highest
 * VmRSS seen over a run, and a steady value (the median of a few samples).
 */
import { readFileSync } from "node:fs";
import { median } from "./stats.js";

/** A `kB` field of /proc/<pid>/status, or NaN when the process is gone or the field absent. */
export function readStatusKb(pid: number, field: "VmRSS" | "VmHWM"): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return Number.NaN;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
  return match ? Number(match[1]) : Number.NaN;
}

/** A running VmRSS sampler. */
export interface RssSampler {
  /** Stops sampling; returns the highest VmRSS seen, in kB (NaN when none could be read). */
  stop(): number;
}

/** Samples the process's VmRSS every `intervalMs` until stopped. */
export function createRssSampler(pid: number, intervalMs = 100): RssSampler {
  let peak = readStatusKb(pid, "VmRSS");
  const take = () => {
    const now = readStatusKb(pid, "VmRSS");
    if (!Number.isNaN(now)) peak = Number.isNaN(peak) ? now : Math.max(peak, now);
  };
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

/** The median VmRSS (kB) over `durationMs`, sampled every `intervalMs`: a value that one GC cannot swing. */
export async function steadyRssKb(pid: number, durationMs: number, intervalMs = 100): Promise<number> {
  const samples: number[] = [];
  const deadline = Date.now() + durationMs;
  do {
    const value = readStatusKb(pid, "VmRSS");
    if (!Number.isNaN(value)) samples.push(value);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  } while (Date.now() < deadline);
  return median(samples);
}

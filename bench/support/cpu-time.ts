/**
 * CPU time of another process, read from `/proc/<pid>/stat` (Linux): user plus
 * system time, so a run can say how much CPU each request cost a process.
 */
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc times: USER_HZ, 100 on every Linux build that matters here. */
const TICKS_PER_SECOND = 100;

/** User + system CPU time the process has used so far, in ms; NaN when it is gone. */
export function readCpuMs(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return Number.NaN;
  }
  return cpuMsFromStat(stat);
}

/** Parses a /proc/<pid>/stat line: fields 14 (utime) and 15 (stime), counted after the parenthesised name. */
export function cpuMsFromStat(stat: string): number {
  // The name (field 2) may hold spaces and parentheses; the fields after its last ")" are plain.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** CPU used by a set of processes between start() and the returned stop(); ms per process, NaN for any that vanished. */
export function startCpuMeter(pids: readonly number[]): () => number[] {
  const before = pids.map(readCpuMs);
  return () => pids.map((pid, i) => readCpuMs(pid) - (before[i] as number));
}

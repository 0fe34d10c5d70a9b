/**
 * CPU profiles of the services in a benchmark: the node options that make a
 * service write one when it exits (`--cpu-prof`, written on a normal exit and on
 * process.exit, so on the services' SIGTERM path but not after a SIGKILL), reading
 * it back, and the report: where a process's time went over the runs that matter,
 * as a share of its busy time and as CPU ms per request (the share of the CPU the
 * process was measured to use), by area, by group (our modules by path, each
 * dependency by package), by owner and by function, with our functions placed in
 * the TypeScript source through the build's source maps.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import { SourceMap, type SourceMapping } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AREA_LABELS, summarizeProfile, type CallFrame, type CpuProfile, type FrameClass, type FunctionTime, type ProfileSummary, type TimeWindow } from "./cpu-profile.js";
import type { Run } from "./relay-runs.js";
import { formatNumber, formatTable, type Cell } from "./report.js";

/** Node options that make a process write its CPU profile into `dir` when it exits. */
export function cpuProfileArgs(dir: string): string[] {
  return ["--cpu-prof", `--cpu-prof-dir=${dir}`];
}

/** One process's profile over some runs, and what those runs did. */
export interface ProfiledProcess {
  /** e.g. "new relay". */
  label: string;
  file: string;
  /** The root of the build that ran, for module paths and source maps. */
  root: string;
  summary: ProfileSummary;
  /** Requests completed in the windows (warm-ups included, as the windows are). */
  requests: number;
  /** CPU time the process used in the windows, all threads (from /proc): what the shares are shares of. */
  cpuMs: number;
}

/** Reads the newest `.cpuprofile` in `dir` and sums it up over `windows`. */
export async function readProfiledProcess(
  label: string,
  dir: string,
  root: string,
  windows: readonly TimeWindow[],
  measured: { requests: number; cpuMs: number },
): Promise<ProfiledProcess> {
  const names = (await readdir(dir)).filter((name) => name.endsWith(".cpuprofile"));
  if (names.length === 0) throw new Error(`${label} wrote no .cpuprofile into ${dir} (was it killed rather than stopped?)`);
  const dated = await Promise.all(names.map(async (name) => ({ file: join(dir, name), mtime: (await stat(join(dir, name))).mtimeMs })));
  const file = dated.sort((a, b) => b.mtime - a.mtime)[0]?.file as string;
  const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  return { label, file, root, summary: summarizeProfile(profile, { root, windows }), ...measured };
}

/** Where one stack's relay and control plane write their profiles. */
export interface StackProfileDirs {
  relay: string;
  controlPlane: string;
}

/** Makes a profile folder for each of a stack's two services under `root`, named `<prefix>relay` and `<prefix>control-plane`. */
export async function makeStackProfileDirs(root: string, prefix = ""): Promise<StackProfileDirs> {
  const dirs = { relay: join(root, `${prefix}relay`), controlPlane: join(root, `${prefix}control-plane`) };
  await Promise.all([mkdir(dirs.relay, { recursive: true }), mkdir(dirs.controlPlane, { recursive: true })]);
  return dirs;
}

/**
 * A stack's two profiles over its JSON runs at 64 in flight among `runs` (the stack's own), with
 * the requests those runs completed and the CPU each process used in them. Read once both
 * processes have exited.
 */
export async function readStackProfiles(name: string, dirs: StackProfileDirs, root: string, runs: readonly Run[]): Promise<{ relay: ProfiledProcess; controlPlane: ProfiledProcess }> {
  const picked = runs.filter((r) => !r.scenario.stream && r.scenario.concurrency === 64 && r.scenario.api === undefined);
  const windows = picked.map((r) => r.window);
  const requests = picked.reduce((sum, r) => sum + r.result.completed, 0);
  const cpuMs = (perRequest: (r: Run) => number) => picked.reduce((sum, r) => sum + perRequest(r) * r.result.completed, 0);
  const prefix = name ? `${name} ` : "";
  return {
    relay: await readProfiledProcess(`${prefix}relay`, dirs.relay, root, windows, { requests, cpuMs: cpuMs((r) => r.cpuMsPerRequest) }),
    controlPlane: await readProfiledProcess(`${prefix}control plane`, dirs.controlPlane, root, windows, { requests, cpuMs: cpuMs((r) => r.controlPlaneCpuMsPerRequest) }),
  };
}

const percent = (us: number, of: number) => (of > 0 ? `${formatNumber((100 * us) / of, 1)}%` : "n/a");

/**
 * A share of the main thread's busy time, as CPU ms per request: the share times the CPU the
 * process was measured to use per request. The profiler samples wall time, which on a loaded
 * machine includes time the thread waited for a core, so its own totals are not CPU time;
 * the shares hold either way. Work on other threads (GC helpers, JIT) is shared out too.
 */
function cpuMsPerRequest(p: ProfiledProcess, us: number): number {
  return p.summary.busyUs > 0 && p.requests > 0 ? ((us / p.summary.busyUs) * p.cpuMs) / p.requests : Number.NaN;
}

/** Prints where one process's time went: areas, groups and owners, then the top functions by self time. */
export function printProfile(p: ProfiledProcess, topFunctions = 15, topGroups = 15): void {
  const { summary } = p;
  const busy = summary.busyUs;
  const ms = (us: number) => cpuMsPerRequest(p, us);
  console.log(
    `\n${p.label}: ${summary.samples} samples over ${p.requests} requests; main thread busy in ${percent(busy, summary.totalUs)} of them; ` +
      `measured CPU ${formatNumber(p.cpuMs / p.requests)} ms/req (all threads), shared out below by self time (${p.file})`,
  );
  const areas = summary.areas.filter((a) => a.area !== "idle").map((a) => [AREA_LABELS[a.area], percent(a.selfUs, busy), ms(a.selfUs)]);
  console.log(formatTable(["area (self time)", "% of busy", "cpu ms/req"], areas));
  const grouped = (list: ProfileSummary["groups"]) => list.filter((g) => g.area !== "idle").slice(0, topGroups).map((g) => [g.group, AREA_LABELS[g.area], percent(g.selfUs, busy), ms(g.selfUs)]);
  console.log(formatTable(["group (self time)", "area", "% of busy", "cpu ms/req"], grouped(summary.groups), 2));
  console.log(formatTable(["owner (node's and native time charged to the caller)", "area", "% of busy", "cpu ms/req"], grouped(summary.owners), 2));
  const sources = createSourceLocator(p.root);
  const functions = summary.functions.filter((f) => f.area !== "idle").slice(0, topFunctions);
  const rows = functions.map((f) => [
    f.frame.functionName || "(anonymous)",
    sources.locate(f),
    f.owner.group === f.group ? "" : `${f.owner.group} (${percent(f.owner.selfUs, f.selfUs)})`,
    percent(f.selfUs, busy),
    ms(f.selfUs),
  ]);
  console.log(formatTable(["function", "where", "mostly charged to", "% of busy", "cpu ms/req"], rows, 3));
}

/** One process of two builds side by side: CPU ms per request of each owner that matters in either. */
export function printProfileComparison(name: string, before: ProfiledProcess, after: ProfiledProcess, topOwners = 15): void {
  const key = (g: { area: string; group: string }) => `${g.area}:${g.group}`;
  const beforeByKey = new Map(before.summary.owners.map((g) => [key(g), g]));
  const afterByKey = new Map(after.summary.owners.map((g) => [key(g), g]));
  const largest = [...new Set([...before.summary.owners, ...after.summary.owners].filter((g) => g.area !== "idle").map(key))]
    .map((k) => ({ k, label: (beforeByKey.get(k) ?? afterByKey.get(k)) as FrameClass, ms: Math.max(cpuMsPerRequest(before, beforeByKey.get(k)?.selfUs ?? 0), cpuMsPerRequest(after, afterByKey.get(k)?.selfUs ?? 0)) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, topOwners);
  const rows: Cell[][] = largest.map(({ k, label }) => {
    const was = cpuMsPerRequest(before, beforeByKey.get(k)?.selfUs ?? 0);
    const now = cpuMsPerRequest(after, afterByKey.get(k)?.selfUs ?? 0);
    return [label.group, AREA_LABELS[label.area], was, now, now - was];
  });
  const busyWas = before.cpuMs / before.requests;
  const busyNow = after.cpuMs / after.requests;
  rows.push(["measured CPU (all of it)", "", busyWas, busyNow, busyNow - busyWas]);
  console.log(`\n${name}, ${before.label} against ${after.label}: CPU ms per request by owner (node's and native time charged to the caller)`);
  console.log(formatTable(["owner", "area", before.label, after.label, "change"], rows, 2));
}

/** Places a function in its TypeScript source through the build's source maps; `file:line` of the code that ran otherwise. */
function createSourceLocator(root: string): { locate(fn: FunctionTime): string } {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (path: string) => {
    if (!maps.has(path)) {
      try {
        maps.set(path, existsSync(`${path}.map`) ? new SourceMap(JSON.parse(readFileSync(`${path}.map`, "utf8"))) : undefined);
      } catch {
        maps.set(path, undefined);
      }
    }
    return maps.get(path);
  };
  const shown = (path: string) => {
    const inside = relative(root, path);
    return inside.startsWith("..") ? path : inside;
  };
  return {
    locate({ frame, area }: { frame: CallFrame; area: string }): string {
      if (frame.url === "") return "";
      if (!frame.url.startsWith("file://") && !frame.url.startsWith("/")) return `${frame.url}:${frame.lineNumber + 1}`;
      const path = frame.url.startsWith("file://") ? fileURLToPath(frame.url) : frame.url;
      const entry = (area === "ours" ? mapOf(path)?.findEntry(frame.lineNumber, frame.columnNumber) : undefined) as Partial<SourceMapping> | undefined;
      if (entry?.originalSource && entry.originalLine !== undefined) {
        const source = entry.originalSource.startsWith("file://") ? fileURLToPath(entry.originalSource) : resolve(dirname(path), entry.originalSource);
        return `${shown(source)}:${entry.originalLine + 1}`;
      }
      const modules = path.lastIndexOf("/node_modules/");
      return `${modules >= 0 ? path.slice(modules + 1) : shown(path)}:${frame.lineNumber + 1}`;
    },
  };
}

/**
 * Reading a V8 CPU profile (`node --cpu-prof` writes one `.cpuprofile` at exit):
 * self time per function, and per group of code, our modules by path (a built
 * `services/relay/dist/x.js` counts as `services/relay/src/x.ts`), every dependency
 * by package (`@grpc/grpc-js`, `ioredis`, `undici` …), node's own JavaScript, V8
 * builtins and native calls, GC, idle and (program). Sample timestamps are on the
 * machine's monotonic clock, so the profile of a whole process can be cut down to
 * the time windows of the runs that matter. Pure: no file is read here.
 *
 * Format: https://chromedevtools.github.io/devtools-protocol/tot/Profiler/#type-Profile
 */
import { fileURLToPath } from "node:url";

/** Where a profile node's code is: 0-based line and column, `url` empty for builtins and native code. */
export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
  scriptId?: string;
}

/** One node of the call tree. */
export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

/** A `.cpuprofile`: the call tree, then which node was on top at each sample (times in µs). */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  /** Time since the previous sample (the first: since startTime). */
  timeDeltas?: number[];
}

/** A span on the monotonic clock, in µs, ends included. */
export interface TimeWindow {
  startUs: number;
  endUs: number;
}

/** What kind of code a group is. */
export type Area = "ours" | "dependency" | "node" | "native" | "gc" | "idle" | "program" | "other";

/** How self time is labelled: the group (module path, package, …) and its area. */
export interface FrameClass {
  group: string;
  area: Area;
}

/** Self time of one function (every node of the tree with the same code). */
export interface FunctionTime extends FrameClass {
  frame: CallFrame;
  selfUs: number;
  /** The owner that most of its self time is charged to, and how much that is. */
  owner: FrameClass & { selfUs: number };
}

/** A profile summed up, over its windows. */
export interface ProfileSummary {
  /** Every sampled µs in the windows, idle included. */
  totalUs: number;
  /** totalUs less idle: time the main thread was doing something. */
  busyUs: number;
  samples: number;
  /** Largest first. */
  groups: Array<FrameClass & { selfUs: number }>;
  /** Self time by owner: as `groups`, but node's and native code charged to the code up the stack that called it. */
  owners: Array<FrameClass & { selfUs: number }>;
  areas: Array<{ area: Area; selfUs: number }>;
  functions: FunctionTime[];
}

/** The labels of the areas, for reports. */
export const AREA_LABELS: Readonly<Record<Area, string>> = {
  ours: "ours",
  dependency: "dependencies",
  node: "node internals (JS)",
  native: "V8 builtins, native calls, wasm",
  gc: "GC",
  idle: "idle",
  program: "(program): VM and native, not attributed",
  other: "other",
};

const SPECIAL: Readonly<Record<string, FrameClass>> = {
  "(garbage collector)": { group: "GC", area: "gc" },
  "(idle)": { group: "idle", area: "idle" },
  "(program)": { group: "(program)", area: "program" },
  "(root)": { group: "(program)", area: "program" },
};

/**
 * Labels a call frame. `root` is the root of the build that ran (with or without a trailing
 * slash); code under it, outside node_modules, is ours.
 */
export function classifyFrame(frame: CallFrame, root: string): FrameClass {
  const special = frame.url === "" ? SPECIAL[frame.functionName] : undefined;
  if (special) return special;
  if (frame.url === "") return { group: "V8 builtins and native calls", area: "native" };
  if (frame.url.startsWith("node:")) return { group: "node internals", area: "node" };
  if (frame.url.startsWith("wasm://")) return { group: "WebAssembly", area: "native" };
  const path = frame.url.startsWith("file://") ? fileURLToPath(frame.url) : frame.url;
  if (!path.startsWith("/")) return { group: frame.url, area: "other" };
  const modules = path.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const [scope = "", name = ""] = path.slice(modules + "/node_modules/".length).split("/");
    return { group: scope.startsWith("@") ? `${scope}/${name}` : scope, area: "dependency" };
  }
  const base = root.endsWith("/") ? root : `${root}/`;
  if (!path.startsWith(base)) return { group: path, area: "other" };
  return { group: sourcePath(path.slice(base.length)), area: "ours" };
}

/** `services/relay/dist/proxy/x.js` → `services/relay/src/proxy/x.ts` (tsc keeps the layout); anything else unchanged. */
export function sourcePath(relativePath: string): string {
  const match = /^((?:services|shared)\/[^/]+)\/dist\/(.+)\.js$/.exec(relativePath);
  return match ? `${match[1]}/src/${match[2]}.ts` : relativePath;
}

/**
 * Self time per node id, in µs, and the number of samples counted. A sample counts for the
 * time until the next one (the last until endTime), and only when it was taken inside one of
 * `windows` (all, without windows). A profile without samples is shared out by hitCount over
 * its whole length.
 */
export function selfTimeByNode(profile: CpuProfile, windows?: readonly TimeWindow[]): { self: Map<number, number>; samples: number } {
  const self = new Map<number, number>();
  const add = (id: number, us: number) => self.set(id, (self.get(id) ?? 0) + us);
  const { samples, timeDeltas } = profile;
  if (!samples || !timeDeltas || samples.length === 0) {
    const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
    const each = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
    for (const node of profile.nodes) if (node.hitCount) add(node.id, node.hitCount * each);
    return { self, samples: hits };
  }
  const inside = (t: number) => !windows || windows.some((w) => t >= w.startUs && t <= w.endUs);
  let counted = 0;
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += timeDeltas[i] ?? 0;
    if (!inside(t)) continue;
    const next = i + 1 < samples.length ? t + (timeDeltas[i + 1] ?? 0) : Math.max(t, profile.endTime);
    add(samples[i] as number, Math.max(0, next - t));
    counted++;
  }
  return { self, samples: counted };
}

/** Areas whose code owns what it calls: self time below them in node's or native code is charged to them. */
const OWNING: ReadonlySet<Area> = new Set(["ours", "dependency", "other"]);

/** Charged to node's or native code that has none of ours or a package above it (e.g. a socket read's callback). */
const UNOWNED: FrameClass = { group: "node and V8, nothing of ours or a package up the stack", area: "node" };

/** Self time by function, by group, by owner and by area, over `windows` (the whole profile without them). */
export function summarizeProfile(profile: CpuProfile, options: { root: string; windows?: readonly TimeWindow[] }): ProfileSummary {
  const { self, samples } = selfTimeByNode(profile, options.windows);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const labels = new Map<number, FrameClass>();
  const labelOf = (id: number): FrameClass => {
    let label = labels.get(id);
    if (!label) labels.set(id, (label = classifyFrame((byId.get(id) as ProfileNode).callFrame, options.root)));
    return label;
  };
  const ownerOf = (id: number): FrameClass => {
    const own = labelOf(id);
    if (own.area !== "node" && own.area !== "native") return own;
    for (let up = parent.get(id); up !== undefined; up = parent.get(up)) if (OWNING.has(labelOf(up).area)) return labelOf(up);
    return UNOWNED;
  };

  const functions = new Map<string, FunctionTime & { owners: Map<string, FrameClass & { selfUs: number }> }>();
  const groups = new Map<string, FrameClass & { selfUs: number }>();
  const owners = new Map<string, FrameClass & { selfUs: number }>();
  const areas = new Map<Area, number>();
  const addTo = (map: Map<string, FrameClass & { selfUs: number }>, label: FrameClass, us: number) => {
    const key = `${label.area}:${label.group}`;
    const entry = map.get(key) ?? { ...label, selfUs: 0 };
    entry.selfUs += us;
    map.set(key, entry);
  };
  let totalUs = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id);
    if (!us) continue;
    const frame = node.callFrame;
    const label = labelOf(node.id);
    const owner = ownerOf(node.id);
    totalUs += us;
    const key = `${frame.url}:${frame.lineNumber}:${frame.columnNumber}:${frame.functionName}`;
    const fn = functions.get(key) ?? { frame, ...label, selfUs: 0, owner: { ...owner, selfUs: 0 }, owners: new Map() };
    fn.selfUs += us;
    addTo(fn.owners, owner, us);
    functions.set(key, fn);
    addTo(groups, label, us);
    addTo(owners, owner, us);
    areas.set(label.area, (areas.get(label.area) ?? 0) + us);
  }
  const bySelf = (a: { selfUs: number }, b: { selfUs: number }) => b.selfUs - a.selfUs;
  return {
    totalUs,
    busyUs: totalUs - (areas.get("idle") ?? 0),
    samples,
    groups: [...groups.values()].sort(bySelf),
    owners: [...owners.values()].sort(bySelf),
    areas: [...areas].map(([area, selfUs]) => ({ area, selfUs })).sort(bySelf),
    functions: [...functions.values()]
      .map(({ owners: charged, ...fn }) => ({ ...fn, owner: [...charged.values()].sort(bySelf)[0] ?? fn.owner }))
      .sort(bySelf),
  };
}


import { describe, expect, it } from "vitest";
import { classifyFrame, selfTimeByNode, sourcePath, summarizeProfile, type CallFrame, type CpuProfile } from "./cpu-profile.js";

const ROOT = "/repo";

function frame(functionName: string, url: string, lineNumber = 0): CallFrame {
  return { functionName, url, lineNumber, columnNumber: 0, scriptId: "0" };
}

/**
 * Seven nodes, eight samples 100 µs apart from t=1000 (the last runs to endTime=1800):
 * handle ×2, grpc write ×2, GC ×1, idle ×2, node stream ×1.
 */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)", ""), children: [2, 4, 5, 7] },
    { id: 2, callFrame: frame("handle", "file:///repo/services/relay/dist/proxy/handle-messages.js", 41), children: [3, 6] },
    { id: 3, callFrame: frame("write", "/repo/node_modules/@grpc/grpc-js/build/src/call-stream.js", 9) },
    { id: 4, callFrame: frame("(garbage collector)", "") },
    { id: 5, callFrame: frame("(idle)", "") },
    { id: 6, callFrame: frame("writeOrBuffer", "node:internal/streams/writable", 3) },
    { id: 7, callFrame: frame("(program)", "") },
  ],
  startTime: 1000,
  endTime: 1800,
  samples: [2, 3, 3, 4, 5, 5, 6, 2],
  timeDeltas: [0, 100, 100, 100, 100, 100, 100, 100],
};

describe("selfTimeByNode", () => {
  it("gives each sample the time until the next one, and the last one the time until the end", () => {
    const { self, samples } = selfTimeByNode(profile);
    expect(Object.fromEntries(self)).toEqual({ 2: 200, 3: 200, 4: 100, 5: 200, 6: 100 });
    expect(samples).toBe(8);
  });

  it("counts only the samples taken inside the windows", () => {
    const { self, samples } = selfTimeByNode(profile, [
      { startUs: 1100, endUs: 1350 },
      { startUs: 1700, endUs: 1700 },
    ]);
    expect(Object.fromEntries(self)).toEqual({ 3: 200, 4: 100, 2: 100 });
    expect(samples).toBe(4);
  });

  it("shares a profile without samples out by hit count", () => {
    const old: CpuProfile = { ...profile, samples: undefined, timeDeltas: undefined, nodes: profile.nodes.map((n) => ({ ...n, hitCount: n.id === 2 ? 3 : n.id === 4 ? 1 : 0 })) };
    expect(Object.fromEntries(selfTimeByNode(old).self)).toEqual({ 2: 600, 4: 200 });
  });
});

describe("summarizeProfile", () => {
  it("sums self time by function, by group and by area, idle apart from busy", () => {
    const summary = summarizeProfile(profile, { root: ROOT });
    expect(summary.totalUs).toBe(800);
    expect(summary.busyUs).toBe(600);
    expect(summary.groups.map((g) => [g.group, g.selfUs])).toEqual([
      ["services/relay/src/proxy/handle-messages.ts", 200],
      ["@grpc/grpc-js", 200],
      ["idle", 200],
      ["GC", 100],
      ["node internals", 100],
    ]);
    expect(summary.areas).toEqual([
      { area: "ours", selfUs: 200 },
      { area: "dependency", selfUs: 200 },
      { area: "idle", selfUs: 200 },
      { area: "gc", selfUs: 100 },
      { area: "node", selfUs: 100 },
    ]);
    expect(summary.functions[0]).toMatchObject({ frame: { functionName: "handle", lineNumber: 41 }, area: "ours", selfUs: 200 });
  });

  it("charges node's and native code to the nearest of our modules or packages up the stack", () => {
    const calls: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame("(root)", ""), children: [2, 5] },
        { id: 2, callFrame: frame("handle", "file:///repo/services/relay/dist/app.js"), children: [3] },
        { id: 3, callFrame: frame("write", "/repo/node_modules/@grpc/grpc-js/build/src/call.js"), children: [4] },
        { id: 4, callFrame: frame("writevGeneric", "node:internal/stream_base_commons"), children: [6] },
        { id: 5, callFrame: frame("onStreamRead", "node:internal/stream_base_commons") },
        { id: 6, callFrame: frame("writev", "") },
      ],
      startTime: 0,
      endTime: 400,
      samples: [6, 6, 4, 5],
      timeDeltas: [0, 100, 100, 100],
    };
    const summary = summarizeProfile(calls, { root: ROOT });
    expect(summary.owners.map((o) => [o.group, o.selfUs])).toEqual([
      ["@grpc/grpc-js", 300],
      ["node and V8, nothing of ours or a package up the stack", 100],
    ]);
    expect(summary.groups.map((g) => [g.group, g.selfUs])).toEqual([
      ["node internals", 200],
      ["V8 builtins and native calls", 200],
    ]);
    expect(summary.functions[0]).toMatchObject({ frame: { functionName: "writev" }, owner: { group: "@grpc/grpc-js", selfUs: 200 } });
  });

  it("adds up nodes of the same function reached by different paths", () => {
    const twice: CpuProfile = {
      ...profile,
      nodes: [...profile.nodes, { id: 8, callFrame: frame("write", "/repo/node_modules/@grpc/grpc-js/build/src/call-stream.js", 9) }],
      samples: [8, 3],
      timeDeltas: [0, 50],
      endTime: 1100,
    };
    const summary = summarizeProfile(twice, { root: ROOT });
    expect(summary.functions).toHaveLength(1);
    expect(summary.functions[0]?.selfUs).toBe(100);
  });
});

describe("classifyFrame", () => {
  it("labels our code by source path, dependencies by package, and node's and V8's own code by kind", () => {
    expect(classifyFrame(frame("f", "file:///repo/shared/proto/dist/gen/lease_pb.js"), ROOT)).toEqual({ group: "shared/proto/src/gen/lease_pb.ts", area: "ours" });
    expect(classifyFrame(frame("f", "file:///repo/node_modules/ioredis/built/Redis.js"), `${ROOT}/`)).toEqual({ group: "ioredis", area: "dependency" });
    expect(classifyFrame(frame("f", "/repo/node_modules/a/node_modules/undici/lib/core.js"), ROOT)).toEqual({ group: "undici", area: "dependency" });
    expect(classifyFrame(frame("f", "node:internal/http"), ROOT)).toEqual({ group: "node internals", area: "node" });
    expect(classifyFrame(frame("JSONParse", ""), ROOT)).toEqual({ group: "V8 builtins and native calls", area: "native" });
    expect(classifyFrame(frame("(idle)", ""), ROOT).area).toBe("idle");
    expect(classifyFrame(frame("wasm-function[12]", "wasm://wasm/00034eea"), ROOT)).toEqual({ group: "WebAssembly", area: "native" });
    expect(classifyFrame(frame("f", "file:///elsewhere/x.js"), ROOT)).toEqual({ group: "/elsewhere/x.js", area: "other" });
  });

  it("does not take a folder that merely starts like the root for the root", () => {
    expect(classifyFrame(frame("f", "file:///repo-old/services/relay/dist/app.js"), ROOT).area).toBe("other");
  });
});

describe("sourcePath", () => {
  it("maps a built file of a workspace package to its TypeScript source and leaves the rest alone", () => {
    expect(sourcePath("services/control-plane/dist/leases/lease-store.js")).toBe("services/control-plane/src/leases/lease-store.ts");
    expect(sourcePath("bench/load-driver.ts")).toBe("bench/load-driver.ts");
  });
});

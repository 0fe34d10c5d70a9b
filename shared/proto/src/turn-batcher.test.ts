import { describe, expect, it } from "vitest";
import { createTurnBatcher } from "./turn-batcher.js";

function stepped() {
  const tasks: Array<() => void> = [];
  return {
    schedule: (task: () => void) => void tasks.push(task),
    runTurnEnd: () => {
      for (const task of tasks.splice(0)) task();
    },
    get pending() {
      return tasks.length;
    },
  };
}

describe("createTurnBatcher", () => {
  it("gives out everything added in one turn as one batch, in order, at the end of the turn", () => {
    const turns = stepped();
    const batches: number[][] = [];
    const batcher = createTurnBatcher<number>({ maxItems: 256, flush: (items) => batches.push(items), schedule: turns.schedule });
    for (let i = 1; i <= 5; i++) batcher.add(i);
    expect(batches).toEqual([]);
    expect(turns.pending).toBe(1);
    turns.runTurnEnd();
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
  });

  it("starts a new batch in the next turn", () => {
    const turns = stepped();
    const batches: number[][] = [];
    const batcher = createTurnBatcher<number>({ maxItems: 256, flush: (items) => batches.push(items), schedule: turns.schedule });
    batcher.add(1);
    turns.runTurnEnd();
    batcher.add(2);
    batcher.add(3);
    turns.runTurnEnd();
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it("flushes at once when a batch reaches its cap, and keeps the rest for the end of the turn", () => {
    const turns = stepped();
    const batches: number[][] = [];
    const batcher = createTurnBatcher<number>({ maxItems: 3, flush: (items) => batches.push(items), schedule: turns.schedule });
    for (let i = 1; i <= 7; i++) batcher.add(i);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    turns.runTurnEnd();
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it("hands back what is queued on take, which then never goes out", () => {
    const turns = stepped();
    const batches: number[][] = [];
    const batcher = createTurnBatcher<number>({ maxItems: 256, flush: (items) => batches.push(items), schedule: turns.schedule });
    batcher.add(1);
    batcher.add(2);
    expect(batcher.size).toBe(2);
    expect(batcher.take()).toEqual([1, 2]);
    turns.runTurnEnd();
    expect(batches).toEqual([]);
    expect(batcher.size).toBe(0);
  });

  it("flushes on setImmediate by default, after the microtasks of the turn", async () => {
    const batches: number[][] = [];
    const batcher = createTurnBatcher<number>({ maxItems: 256, flush: (items) => batches.push(items) });
    batcher.add(1);
    await Promise.resolve().then(() => batcher.add(2));
    expect(batches).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 2]]);
  });
});

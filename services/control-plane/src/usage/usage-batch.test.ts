import { describe, expect, it } from "vitest";
import { createCounterBatch, hashTagOf, type CounterWriter } from "./usage-batch.js";

interface Call {
  keys: readonly string[];
  args: readonly (string | number)[];
  answer(reply: unknown): void;
  fail(err: Error): void;
}

/** A writer whose calls stay unanswered until the test answers them. */
function heldWriter(): { write: CounterWriter; calls: Call[] } {
  const calls: Call[] = [];
  const write: CounterWriter = (keys, args) =>
    new Promise((resolve, reject) => {
      calls.push({ keys, args, answer: resolve, fail: reject });
    });
  return { write, calls };
}

const endOfTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Settles to "pending" when the promise has not settled by the end of the tick. */
async function stateOf(promise: Promise<unknown>): Promise<"pending" | "resolved" | "rejected"> {
  return Promise.race([promise.then(() => "resolved" as const, () => "rejected" as const), endOfTick().then(() => "pending" as const)]);
}

describe("hashTagOf", () => {
  it("takes the text between the first { and the next }", () => {
    expect(hashTagOf("cr:usage:{key:k1}:2025-01-15")).toBe("key:k1");
    expect(hashTagOf("cr:usage:{day:2025-01-15}:h:13:by-model")).toBe("day:2025-01-15");
    expect(hashTagOf("a{b}c{d}")).toBe("b");
  });

  it("takes the whole key when there is no tag or the tag is empty, as Redis Cluster does", () => {
    expect(hashTagOf("cr:accounts")).toBe("cr:accounts");
    expect(hashTagOf("cr:{}:x")).toBe("cr:{}:x");
    expect(hashTagOf("cr:{open")).toBe("cr:{open");
  });
});

describe("createCounterBatch", () => {
  it("sums the increments of one tick per hash and field, in one call per hash tag", async () => {
    const { write, calls } = heldWriter();
    const batch = createCounterBatch(write);
    const keyDay = batch.add("p:{key:a}:day", 100, [["requests", 1], ["input_tokens", 10]]);
    const keyTotal = batch.add("p:{key:a}:total", 0, [["requests", 1]]);
    const byKey = batch.add("p:{day:d}:by-key", 100, [["a|requests", 1]]);
    batch.add("p:{key:a}:day", 100, [["requests", 1], ["input_tokens", 5], ["output_tokens", 2]]);
    batch.add("p:{day:d}:by-key", 100, [["b|requests", 1]]);
    expect(calls).toHaveLength(0);
    await endOfTick();

    expect(calls.map((c) => [c.keys, c.args])).toEqual([
      [
        ["p:{key:a}:day", "p:{key:a}:total"],
        [100, 3, "requests", 2, "input_tokens", 15, "output_tokens", 2, 0, 1, "requests", 1],
      ],
      [["p:{day:d}:by-key"], [100, 2, "a|requests", 1, "b|requests", 1]],
    ]);
    // One promise per group: the hashes of one tag share their call.
    expect(keyDay).toBe(keyTotal);
    expect(keyDay).not.toBe(byKey);
    calls[0]?.answer(2);
    expect(await keyDay).toBe(2);
    expect(await stateOf(byKey)).toBe("pending");
  });

  it("lists each window's entries after the group's hashes, in the call of the record's hash tag", async () => {
    const { write, calls } = heldWriter();
    const batch = createCounterBatch(write);
    const window = { record: "p:{key:a}", window: "p:w:{key:a}", total: "p:t:{key:a}" };
    const counted = batch.addToWindow(window, { member: "l1:30", tokens: 30, endMs: 1_000 });
    const keyTotal = batch.add("p:{key:a}:total", 0, [["requests", 1]]);
    batch.addToWindow({ record: "p:{key:b}", window: "p:w:{key:b}", total: "p:t:{key:b}" }, { member: "l2:5", tokens: 5, endMs: 1_001 });
    batch.addToWindow(window, { member: "l3:7", tokens: 7, endMs: 1_002 });
    await endOfTick();

    expect(calls.map((c) => [c.keys, c.args])).toEqual([
      [
        ["p:{key:a}:total", "p:{key:a}", "p:w:{key:a}", "p:t:{key:a}"],
        [0, 1, "requests", 1, "window", 2, "l1:30", 30, 1_000, "l3:7", 7, 1_002],
      ],
      [["p:{key:b}", "p:w:{key:b}", "p:t:{key:b}"], ["window", 1, "l2:5", 5, 1_001]],
    ]);
    // An entry is answered with the counters of its tag: they share one call.
    expect(counted).toBe(keyTotal);
    calls[0]?.fail(new Error("WRONGTYPE"));
    await expect(counted).rejects.toThrow("WRONGTYPE");
  });

  it("keeps increments that arrive during a flush for the next one, sent only once the first has answered", async () => {
    const { write, calls } = heldWriter();
    const batch = createCounterBatch(write);
    const first = batch.add("p:{key:a}:total", 0, [["requests", 1]]);
    await endOfTick();
    expect(calls).toHaveLength(1);

    const second = batch.add("p:{key:a}:total", 0, [["requests", 1]]);
    const third = batch.add("p:{key:a}:total", 0, [["requests", 1]]);
    await endOfTick();
    expect(calls).toHaveLength(1);
    expect(await stateOf(second)).toBe("pending");

    calls[0]?.answer(1);
    expect(await first).toBe(1);
    await endOfTick();
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args).toEqual([0, 1, "requests", 2]);
    expect(second).toBe(third);
    expect(await stateOf(second)).toBe("pending");
    calls[1]?.answer(1);
    expect(await second).toBe(1);
  });

  it("rejects the increments of a failed call only, and keeps flushing after it", async () => {
    const { write, calls } = heldWriter();
    const batch = createCounterBatch(write);
    const keyA = batch.add("p:{key:a}:total", 0, [["requests", 1]]);
    const keyB = batch.add("p:{key:b}:total", 0, [["requests", 1]]);
    await endOfTick();
    const later = batch.add("p:{key:a}:total", 0, [["requests", 1]]);
    calls[0]?.fail(new Error("WRONGTYPE"));
    calls[1]?.answer(1);

    await expect(keyA).rejects.toThrow("WRONGTYPE");
    expect(await keyB).toBe(1);
    await endOfTick();
    expect(calls).toHaveLength(3);
    calls[2]?.answer(1);
    expect(await later).toBe(1);
  });

  it("turns a writer that throws into rejected increments", async () => {
    const batch = createCounterBatch(() => {
      throw new Error("takes at least 1 keys");
    });
    await expect(batch.add("p:{key:a}:total", 0, [["requests", 1]])).rejects.toThrow("takes at least 1 keys");
    // The failed flush is over: the next increment gets a flush of its own.
    await expect(batch.add("p:{key:a}:total", 0, [["requests", 1]])).rejects.toThrow("takes at least 1 keys");
  });

  it("with a linger, waits that long for more increments, then writes them all in one call", async () => {
    const { write, calls } = heldWriter();
    const batch = createCounterBatch(write, { lingerMs: 40 });
    const first = batch.add("p:{key:a}:day", 100, [["requests", 1]]);
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect(calls).toHaveLength(0);
    batch.add("p:{key:a}:day", 100, [["requests", 1]]);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(calls.map((c) => c.args)).toEqual([[100, 1, "requests", 2]]);
    calls[0]?.answer(1);
    expect(await first).toBe(1);
  });

  it("with a linger, writes what waited for a flush in flight as soon as that flush answers", async () => {
    const { write, calls } = heldWriter();
    const batch = createCounterBatch(write, { lingerMs: 1_000 });
    batch.add("p:{key:a}:day", 100, [["requests", 1]]);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    expect(calls).toHaveLength(1);
    const later = batch.add("p:{key:a}:day", 100, [["requests", 3]]);
    calls[0]?.answer(1);
    await endOfTick();
    await endOfTick();
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args).toEqual([100, 1, "requests", 3]);
    calls[1]?.answer(2);
    expect(await later).toBe(2);
  });
});

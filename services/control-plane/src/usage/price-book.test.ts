import { describe, expect, it } from "vitest";
import type { Invalidation } from "../cache/invalidation.js";
import { createPriceBook } from "./price-book.js";
import type { PriceTable } from "./pricing.js";

/** A fake channel and a source that hands out numbered tables, each load settled by hand. */
function setup() {
  const listeners = new Set<(i: Invalidation) => void>();
  const invalidation = {
    live: true,
    onInvalidate(listener: (i: Invalidation) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const send = (i: Invalidation) => {
    for (const listener of listeners) listener(i);
  };
  let loads = 0;
  const pending: (() => void)[] = [];
  const load = () =>
    new Promise<PriceTable>((resolve) => {
      const n = ++loads;
      pending.push(() => resolve({ source: `load ${n}`, models: new Map() }));
    });
  let clock = 0;
  const book = createPriceBook({ load, invalidation, maxAgeMs: 1_000, now: () => clock });
  const settle = async () => {
    for (const done of pending.splice(0)) done();
    await Promise.resolve();
    await Promise.resolve();
  };
  return { book, invalidation, send, settle, loads: () => loads, tick: (ms: number) => (clock += ms), listeners };
}

describe("createPriceBook", () => {
  it("loads once for concurrent callers, then serves the table from memory", async () => {
    const { book, settle, loads } = setup();
    expect(book.peek()).toBeUndefined();
    const [a, b] = [book.current(), book.current()];
    await settle();
    expect((await a).source).toBe("load 1");
    expect(await b).toBe(await a);
    expect(book.peek()?.source).toBe("load 1");
    expect(loads()).toBe(1);
  });

  it("drops the table on a price change or on everything, not on another kind", async () => {
    const { book, send, settle } = setup();
    book.current();
    await settle();
    send({ kind: "account", id: "a-1" });
    expect(book.peek()?.source).toBe("load 1");
    send({ kind: "price", id: "claude-sonnet-9" });
    expect(book.peek()).toBeUndefined();
    book.current();
    await settle();
    expect(book.peek()?.source).toBe("load 2");
    send("all");
    expect(book.peek()).toBeUndefined();
  });

  it("does not keep a load that a change overtook", async () => {
    const { book, send, settle } = setup();
    const overtaken = book.current();
    send({ kind: "price", id: "*" });
    await settle();
    expect((await overtaken).source).toBe("load 1");
    expect(book.peek()).toBeUndefined();
  });

  it("serves nothing from memory while the channel is down, nor past its age", async () => {
    const { book, invalidation, settle, tick, loads } = setup();
    book.current();
    await settle();
    tick(1_000);
    expect(book.peek()).toBeUndefined();
    book.current();
    await settle();
    expect(book.peek()?.source).toBe("load 2");
    invalidation.live = false;
    expect(book.peek()).toBeUndefined();
    book.current();
    await settle();
    expect(loads()).toBe(3);
  });

  it("stops listening when stopped", () => {
    const { book, listeners } = setup();
    expect(listeners.size).toBe(1);
    book.stop();
    expect(listeners.size).toBe(0);
  });
});

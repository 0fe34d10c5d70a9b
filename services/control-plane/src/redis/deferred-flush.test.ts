import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDeferredFlush } from "./deferred-flush.js";

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("createDeferredFlush", () => {
  it("flushes once, the delay after the first schedule, however often it was scheduled", async () => {
    const flush = vi.fn(async () => {});
    const deferred = createDeferredFlush(1_000, flush);
    deferred.schedule();
    await vi.advanceTimersByTimeAsync(600);
    deferred.schedule();
    await vi.advanceTimersByTimeAsync(399);
    expect(flush).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(flush).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(flush).toHaveBeenCalledTimes(1);
    deferred.schedule();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(flush).toHaveBeenCalledTimes(2);
  });

  it("does not flush after cancel() until scheduled again, nor ever after close()", async () => {
    const flush = vi.fn(async () => {});
    const deferred = createDeferredFlush(100, flush);
    deferred.schedule();
    deferred.cancel();
    await vi.advanceTimersByTimeAsync(500);
    expect(flush).not.toHaveBeenCalled();
    deferred.schedule();
    deferred.close();
    deferred.schedule();
    await vi.advanceTimersByTimeAsync(500);
    expect(flush).not.toHaveBeenCalled();
  });

  it("keeps a failed flush's rejection to itself and lets the store schedule the retry", async () => {
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      let deferred: ReturnType<typeof createDeferredFlush> | undefined;
      let calls = 0;
      const flush = vi.fn(async () => {
        calls += 1;
        if (calls === 1) {
          deferred?.schedule();
          throw new Error("Connection is closed.");
        }
      });
      deferred = createDeferredFlush(100, flush);
      deferred.schedule();
      await vi.advanceTimersByTimeAsync(100);
      await vi.advanceTimersByTimeAsync(100);
      expect(flush).toHaveBeenCalledTimes(2);
      await vi.advanceTimersByTimeAsync(0);
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off("unhandledRejection", unhandled);
    }
  });
});

import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { checkNewQueueWait, checkQueueWaitMs, checkQueueWaitPatch, toQueueWaitField } from "./key-queue-wait.js";

function refusal(run: () => unknown): ConnectError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConnectError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("checkQueueWaitMs", () => {
  it("accepts 0 through 10 minutes", () => {
    expect(checkQueueWaitMs("queue_wait_ms", 0)).toBe(0);
    expect(checkQueueWaitMs("queue_wait_ms", 600_000)).toBe(600_000);
  });

  it.each([-1, 600_001, 1.5])("refuses %d with InvalidArgument naming the field and the range", (value) => {
    const error = refusal(() => checkQueueWaitMs("queue_wait_ms", value));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe(`queue_wait_ms: must be an integer from 0 (refuse at once) to 600000 ms (10 minutes), got ${value}`);
  });
});

describe("checkNewQueueWait", () => {
  it("leaves the bound out when unset, so the key keeps the default", () => {
    expect(checkNewQueueWait({})).toEqual({});
    expect(checkNewQueueWait({ queueWaitMs: 0 })).toEqual({ queueWaitMs: 0 });
  });
});

describe("checkQueueWaitPatch", () => {
  it("changes the bound, clears it back to the default, or leaves it alone", () => {
    expect(checkQueueWaitPatch({ queueWaitMs: 2_000, clearQueueWaitMs: false })).toEqual({ queueWaitMs: 2_000 });
    expect(checkQueueWaitPatch({ clearQueueWaitMs: true })).toEqual({ queueWaitMs: null });
    expect(checkQueueWaitPatch({ clearQueueWaitMs: false })).toEqual({});
  });

  it("refuses a bound and a clear together", () => {
    expect(refusal(() => checkQueueWaitPatch({ queueWaitMs: 1, clearQueueWaitMs: true })).rawMessage).toBe("clear_queue_wait_ms: must be false when queue_wait_ms is set");
    expect(refusal(() => checkQueueWaitPatch({ queueWaitMs: -5, clearQueueWaitMs: false })).code).toBe(Code.InvalidArgument);
  });
});

describe("toQueueWaitField", () => {
  it("shows the default as unset and 0 as 0", () => {
    expect(toQueueWaitField({})).toEqual({});
    expect(toQueueWaitField({ queueWaitMs: 0 })).toEqual({ queueWaitMs: 0 });
  });
});

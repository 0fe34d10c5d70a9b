import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createOriginHealth } from "./origin-health.js";

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

function setup(probeAnswers: boolean[]) {
  const changes: boolean[] = [];
  const probe = vi.fn(async () => probeAnswers.shift() ?? false);
  const health = createOriginHealth({ deadAfterFailures: 3, probeIntervalMs: 1_000, probe, onChange: (dead) => changes.push(dead) });
  return { health, probe, changes };
}

describe("createOriginHealth", () => {
  it("marks the pair dead only after the configured failures in a row", () => {
    const { health, changes } = setup([]);
    health.failed();
    health.failed();
    health.connected();
    health.failed();
    health.failed();
    expect(health.dead).toBe(false);
    health.failed();
    expect(health.dead).toBe(true);
    expect(changes).toEqual([true]);
    health.close();
  });

  it("probes a dead pair every interval until a probe gets through", async () => {
    const { health, probe, changes } = setup([false, false, true]);
    for (let i = 0; i < 3; i++) health.failed();
    expect(probe).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(health.dead).toBe(true);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(probe).toHaveBeenCalledTimes(3);
    expect(health.dead).toBe(false);
    expect(changes).toEqual([true, false]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probe).toHaveBeenCalledTimes(3);
    health.close();
  });

  it("comes back at once when a connect succeeds, and needs the full count of failures to die again", async () => {
    const { health, probe } = setup([]);
    for (let i = 0; i < 3; i++) health.failed();
    health.connected();
    expect(health.dead).toBe(false);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(probe).not.toHaveBeenCalled();
    health.failed();
    expect(health.dead).toBe(false);
    health.close();
  });

  it("stops probing once closed", async () => {
    const { health, probe } = setup([]);
    for (let i = 0; i < 3; i++) health.failed();
    health.close();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probe).not.toHaveBeenCalled();
  });
});

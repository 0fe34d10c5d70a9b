import { status } from "@grpc/grpc-js";
import { createLogger } from "@claude-relay/logging";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ControlPlaneError } from "./lease-client.js";
import { startLeaseRenewer } from "./lease-renewer.js";

const log = createLogger({ service: "test", level: "silent" });

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("startLeaseRenewer", () => {
  it("renews at a third of the TTL until stopped", async () => {
    const renew = vi.fn(async () => 3_000);
    const renewer = startLeaseRenewer({ leaseId: "l1", ttlMs: 3_000, renew, log });
    await vi.advanceTimersByTimeAsync(999);
    expect(renew).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(renew).toHaveBeenCalledWith("l1");
    await vi.advanceTimersByTimeAsync(2_000);
    expect(renew).toHaveBeenCalledTimes(3);
    expect(renewer.renewals).toBe(3);
    renewer.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(renew).toHaveBeenCalledTimes(3);
  });

  it("retries sooner after a failed renewal and keeps going", async () => {
    let calls = 0;
    const renew = vi.fn(async () => {
      calls++;
      if (calls === 1) throw new ControlPlaneError("renew", status.UNAVAILABLE, "down");
      return 3_000;
    });
    const renewer = startLeaseRenewer({ leaseId: "l2", ttlMs: 3_000, renew, log });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(renew).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(renew).toHaveBeenCalledTimes(2);
    expect(renewer.renewals).toBe(1);
    renewer.stop();
  });

  it("gives up on a lease the control plane no longer knows", async () => {
    const renew = vi.fn(async () => {
      throw new ControlPlaneError("renew", status.NOT_FOUND, "gone");
    });
    const renewer = startLeaseRenewer({ leaseId: "l3", ttlMs: 300, renew, log });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(renew).toHaveBeenCalledTimes(1);
    renewer.stop();
  });
});

import { describe, expect, it } from "vitest";
import { addressGroup, createAttemptLimiter } from "./attempt-limiter.js";

function limiter(maxAttempts: number, windowMs: number, maxAddresses?: number) {
  let clock = 1_000_000;
  const limit = createAttemptLimiter({ maxAttempts, windowMs, now: () => clock, ...(maxAddresses !== undefined && { maxAddresses }) });
  return { limit, advance: (ms: number) => (clock += ms) };
}

describe("createAttemptLimiter", () => {
  it("lets an address make maxAttempts at once, then refuses it with the wait for the next one", () => {
    const { limit } = limiter(3, 60_000);
    expect([1, 2, 3].map(() => limit.take("10.0.0.1").ok)).toEqual([true, true, true]);
    // One attempt comes back every 20 s.
    expect(limit.take("10.0.0.1")).toEqual({ ok: false, retryAfterMs: 20_000 });
  });

  it("gives attempts back evenly over the window, never more than maxAttempts", () => {
    const { limit, advance } = limiter(3, 60_000);
    for (let i = 0; i < 3; i++) limit.take("10.0.0.1");
    advance(15_000);
    expect(limit.take("10.0.0.1")).toEqual({ ok: false, retryAfterMs: 5_000 });
    advance(5_000);
    expect(limit.take("10.0.0.1").ok).toBe(true);
    expect(limit.take("10.0.0.1").ok).toBe(false);
    advance(10 * 60_000);
    expect([1, 2, 3, 4].map(() => limit.take("10.0.0.1").ok)).toEqual([true, true, true, false]);
  });

  it("keeps a bucket per address, and refused attempts do not dig it deeper", () => {
    const { limit, advance } = limiter(1, 1_000);
    expect(limit.take("10.0.0.1").ok).toBe(true);
    expect(limit.take("10.0.0.2").ok).toBe(true);
    for (let i = 0; i < 5; i++) expect(limit.take("10.0.0.1").ok).toBe(false);
    advance(1_000);
    expect(limit.take("10.0.0.1").ok).toBe(true);
  });

  it("counts every address of one IPv6 /64 in one bucket, and an IPv4-mapped address as its IPv4 one", () => {
    const { limit } = limiter(2, 60_000);
    expect(limit.take("2001:db8:0:1::1").ok).toBe(true);
    expect(limit.take("2001:db8:0:1:ffff:1:2:3").ok).toBe(true);
    expect(limit.take("2001:db8::1:abcd:0:0:9").ok).toBe(false);
    expect(limit.take("2001:db8:0:2::1").ok).toBe(true);
    expect(limit.take("::ffff:10.0.0.9").ok).toBe(true);
    expect(limit.take("10.0.0.9").ok).toBe(true);
    expect(limit.take("10.0.0.9").ok).toBe(false);
  });

  it("forgets the least recently used address once it keeps maxAddresses", () => {
    const { limit } = limiter(1, 60_000, 2);
    limit.take("10.0.0.1");
    limit.take("10.0.0.2");
    // 10.0.0.1 is used again (refused), so 10.0.0.2 is now the oldest and goes when a third comes.
    expect(limit.take("10.0.0.1").ok).toBe(false);
    limit.take("10.0.0.3");
    expect(limit.take("10.0.0.2").ok).toBe(true);
    expect(limit.take("10.0.0.3").ok).toBe(false);
  });

  it("refuses settings that would never let anything through", () => {
    expect(() => createAttemptLimiter({ maxAttempts: 0, windowMs: 1_000 })).toThrow(RangeError);
    expect(() => createAttemptLimiter({ maxAttempts: 1, windowMs: 0 })).toThrow(RangeError);
  });
});

describe("addressGroup", () => {
  it("names an IPv6 address by its /64, however it is written", () => {
    expect(addressGroup("2001:0db8:0000:0001:0000:0000:0000:0001")).toBe("2001:db8:0:1::/64");
    expect(addressGroup("2001:db8:0:1::1")).toBe("2001:db8:0:1::/64");
    expect(addressGroup("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressGroup("::1")).toBe("0:0:0:0::/64");
    expect(addressGroup("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(addressGroup("::2.3.4.5")).toBe("0:0:0:0::/64");
  });

  it("keeps IPv4 addresses and unknown text as they are", () => {
    expect(addressGroup("192.0.2.7")).toBe("192.0.2.7");
    expect(addressGroup("::FFFF:192.0.2.7")).toBe("192.0.2.7");
    expect(addressGroup("")).toBe("");
    expect(addressGroup("x".repeat(300))).toHaveLength(100);
  });
});

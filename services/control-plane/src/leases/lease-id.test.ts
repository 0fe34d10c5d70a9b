import { describe, expect, it } from "vitest";
import { formatLeaseId, LeaseIdError, parseLeaseId } from "./lease-id.js";

describe("lease ids", () => {
  it("carry the account id and key id, and differ every time", () => {
    const a = formatLeaseId("0b5e2d3c-acct", "key-42");
    const b = formatLeaseId("0b5e2d3c-acct", "key-42");
    expect(a).not.toBe(b);
    expect(parseLeaseId(a)).toEqual({ leaseId: a, accountId: "0b5e2d3c-acct", keyId: "key-42" });
  });

  it("never repeat a random part, across refills of the random pool", () => {
    const parts = Array.from({ length: 2_000 }, () => formatLeaseId("acct", "key").split(".")[2]!);
    expect(new Set(parts).size).toBe(parts.length);
    expect(parts.every((part) => /^[A-Za-z0-9_-]{16}$/.test(part))).toBe(true);
  });

  it("reject anything we could not have issued", () => {
    for (const bad of ["", "a.b", "a.b.c.d", "a..c", "a{x}.b.c", `${"x".repeat(65)}.b.c`]) {
      expect(() => parseLeaseId(bad)).toThrow(LeaseIdError);
    }
    expect(() => formatLeaseId("a.b", "k")).toThrow(expect.objectContaining({ code: "ERR_LEASE_ID" }));
  });
});

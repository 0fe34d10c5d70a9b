import { describe, expect, it } from "vitest";
import { resolveClientAddress } from "./client-address.js";

describe("resolveClientAddress", () => {
  it("uses the socket's peer and ignores X-Forwarded-For unless a proxy is trusted", () => {
    expect(resolveClientAddress("203.0.113.9", "198.51.100.1", false)).toBe("203.0.113.9");
  });

  it("takes the last X-Forwarded-For entry, the one the trusted proxy appended", () => {
    expect(resolveClientAddress("10.0.0.2", "1.2.3.4, 198.51.100.7", true)).toBe("198.51.100.7");
    expect(resolveClientAddress("10.0.0.2", ["1.2.3.4", "198.51.100.8 "], true)).toBe("198.51.100.8");
  });

  it("falls back to the socket when a trusted proxy sent no usable header", () => {
    expect(resolveClientAddress("10.0.0.2", undefined, true)).toBe("10.0.0.2");
    expect(resolveClientAddress("10.0.0.2", " , ", true)).toBe("10.0.0.2");
  });

  it("reads IPv4-mapped IPv6 peers as plain IPv4 and keeps real IPv6", () => {
    expect(resolveClientAddress("::ffff:127.0.0.1", undefined, false)).toBe("127.0.0.1");
    expect(resolveClientAddress("::1", undefined, false)).toBe("::1");
    expect(resolveClientAddress(undefined, undefined, false)).toBe("");
  });
});

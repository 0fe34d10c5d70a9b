import { describe, expect, it } from "vitest";
import { bearerToken } from "./admin-session.js";

describe("bearerToken", () => {
  it("reads the token of a Bearer header in any case of the scheme", () => {
    expect(bearerToken("Bearer abc_DEF-123")).toBe("abc_DEF-123");
    expect(bearerToken("bearer abc")).toBe("abc");
    expect(bearerToken("BEARER   abc  ")).toBe("abc");
  });

  it("finds no token in a missing, empty or other-scheme header", () => {
    for (const header of [null, "", "Bearer", "Bearer ", "Basic YWRtaW46cGFzcw==", "Bearer a b", "Tokenabc"]) {
      expect(bearerToken(header)).toBeUndefined();
    }
  });
});

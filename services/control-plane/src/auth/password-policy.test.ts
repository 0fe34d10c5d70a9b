import { describe, expect, it } from "vitest";
import { MIN_PASSWORD_LENGTH, checkNewPassword } from "./password-policy.js";

describe("checkNewPassword", () => {
  it("accepts a password of exactly the minimum length that differs from the current one", () => {
    expect(MIN_PASSWORD_LENGTH).toBe(12);
    expect(checkNewPassword("a".repeat(12), "old-password-1")).toBeUndefined();
  });

  it("refuses one character short of the minimum with a field message", () => {
    expect(checkNewPassword("a".repeat(11), "old-password-1")).toBe("new_password: must be at least 12 characters");
  });

  it("counts characters, not UTF-16 units, so twelve emoji are enough and six are not", () => {
    expect(checkNewPassword("🔑".repeat(12), "old-password-1")).toBeUndefined();
    expect(checkNewPassword("🔑".repeat(6), "old-password-1")).toMatch(/at least 12/);
  });

  it("refuses a blank password, an overlong one and the current one", () => {
    expect(checkNewPassword(" ".repeat(20), "old-password-1")).toBe("new_password: must not be blank");
    expect(checkNewPassword("x".repeat(1025), "old-password-1")).toMatch(/at most 1024/);
    expect(checkNewPassword("same-password-123", "same-password-123")).toBe("new_password: must differ from the current password");
  });
});

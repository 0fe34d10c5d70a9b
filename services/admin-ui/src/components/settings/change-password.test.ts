import { describe, expect, it } from "vitest";
import { emptyPasswordFields, passwordProblem } from "./change-password.js";

const ok = { current: "old-password", next: "twelve-chars", confirm: "twelve-chars" };

describe("passwordProblem", () => {
  it("accepts a new password of 12 characters typed twice", () => {
    expect(passwordProblem(ok)).toBeUndefined();
  });

  it("reports the first problem in the order of the fields", () => {
    expect(passwordProblem(emptyPasswordFields())).toBe("currentRequired");
    expect(passwordProblem({ ...ok, next: "eleven-char", confirm: "eleven-char" })).toBe("tooShort");
    expect(passwordProblem({ ...ok, confirm: "twelve-charz" })).toBe("mismatch");
    expect(passwordProblem({ current: "same-password-1", next: "same-password-1", confirm: "same-password-1" })).toBe("unchanged");
  });

  it("counts characters rather than UTF-16 units", () => {
    expect(passwordProblem({ ...ok, next: "密".repeat(12), confirm: "密".repeat(12) })).toBeUndefined();
    expect(passwordProblem({ ...ok, next: "🔑".repeat(6), confirm: "🔑".repeat(6) })).toBe("tooShort");
  });
});

import { describe, expect, it } from "vitest";
import { pickTestModel } from "./account-test.js";

describe("pickTestModel", () => {
  it("takes the first allowed model that is not a wildcard", () => {
    expect(pickTestModel(["claude-opus-*", "claude-sonnet-4-5", "claude-haiku-4-5"], "fallback")).toBe("claude-sonnet-4-5");
  });

  it("falls back to the provider's small default when every model is allowed or only wildcards are listed", () => {
    expect(pickTestModel([], "claude-haiku-4-5")).toBe("claude-haiku-4-5");
    expect(pickTestModel(["gemini-*"], "gemini-2.5-flash")).toBe("gemini-2.5-flash");
  });
});

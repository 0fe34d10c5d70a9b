import { describe, expect, it } from "vitest";
import { waitGroupOf } from "./wait-group.js";

describe("waitGroupOf", () => {
  it("puts requests the same accounts serve in one line, whatever key they hold", () => {
    const a = waitGroupOf("claude", { accountId: "", group: "team-a" });
    const b = waitGroupOf("claude", { accountId: "", group: "team-a" });
    expect(a).toEqual(b);
    expect(a).toMatchObject({ name: "claude/group:team-a", platform: "claude", accountId: "", group: "team-a", accountTypes: [] });
  });

  it("tells apart platforms, bindings and account types", () => {
    const names = [
      waitGroupOf("claude", { accountId: "", group: "" }),
      waitGroupOf("gemini", { accountId: "", group: "" }),
      waitGroupOf("claude", { accountId: "acc_1", group: "" }),
      waitGroupOf("claude", { accountId: "", group: "team-a" }),
      waitGroupOf("openai", { accountId: "", group: "" }, ["openai-api"]),
    ];
    expect(names.map((g) => g.name)).toEqual(["claude/pool", "gemini/pool", "claude/account:acc_1", "claude/group:team-a", "openai/pool+openai-api"]);
    expect(new Set(names.map((g) => g.id)).size).toBe(names.length);
  });

  it("reads a dedicated account before a group, and account types in any order as one set", () => {
    expect(waitGroupOf("claude", { accountId: "acc_1", group: "ignored" })).toMatchObject({ accountId: "acc_1", group: "" });
    expect(waitGroupOf("openai", { accountId: "", group: "" }, ["openai-oauth", "openai-api", "openai-api"]).id).toBe(waitGroupOf("openai", { accountId: "", group: "" }, ["openai-api", "openai-oauth"]).id);
  });

  it("makes ids that are safe inside a Redis hash tag, even from a group name with braces", () => {
    const { id } = waitGroupOf("claude", { accountId: "", group: "{odd}:name" });
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });
});

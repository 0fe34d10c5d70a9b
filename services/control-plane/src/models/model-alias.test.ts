import { describe, expect, it } from "vitest";
import { aliasNameProblem, byName, checkModelAlias, platformOfModel, targetModelProblem } from "./model-alias.js";

const M = 'must start with "claude-", "gemini-", "gpt-", "chatgpt-", "codex-", "o1", "o3" or "o4" (the platform that serves it) and name a model';

describe("platformOfModel", () => {
  it.each([
    ["claude-sonnet-4-5", "claude"],
    ["claude-3-5-haiku-20241022", "claude"],
    ["gemini-2.5-pro", "gemini"],
    ["gpt-4o", "openai"],
    ["gpt-5.1-codex-max", "openai"],
    ["o1", "openai"],
    ["o3", "openai"],
    ["o4-mini", "openai"],
    ["o3-pro-2025-06-10", "openai"],
    ["codex-mini-latest", "openai"],
    ["chatgpt-4o-latest", "openai"],
    ["o2", undefined],
    ["o3mini", undefined],
    ["o30", undefined],
    ["gpt", undefined],
    ["gpt-", undefined],
    ["GPT-4o", undefined],
    ["my-gpt-4o", undefined],
    ["claude-", undefined],
    ["Claude-sonnet-4-5", undefined],
    ["claude", undefined],
    ["", undefined],
  ])("reads %j as %s", (model, platform) => {
    expect(platformOfModel(model)).toBe(platform);
  });
});

describe("aliasNameProblem", () => {
  it.each(["gpt-4o", "gpt-4o-mini", "o3", "openai/gpt-4.1", "team:fast_model", "a", "x".repeat(128)])("accepts %j", (alias) => {
    expect(aliasNameProblem(alias)).toBeUndefined();
  });

  it.each([
    ["", "must not be empty"],
    ["x".repeat(129), "must be at most 128 characters"],
    ["gpt 4o", "may hold only letters, digits and . _ : - /"],
    ["gpt-4o\n", "may hold only letters, digits and . _ : - /"],
    ["gpt-4o@latest", "may hold only letters, digits and . _ : - /"],
    ["модель", "may hold only letters, digits and . _ : - /"],
    ["claude-fast", 'must not start with "claude-" or "gemini-": such names go to their platform by their prefix'],
    ["gemini-fast", 'must not start with "claude-" or "gemini-": such names go to their platform by their prefix'],
    ["Claude-Fast", 'must not start with "claude-" or "gemini-": such names go to their platform by their prefix'],
    ["GEMINI-x", 'must not start with "claude-" or "gemini-": such names go to their platform by their prefix'],
  ])("refuses %j: %s", (alias, problem) => {
    expect(aliasNameProblem(alias)).toBe(problem);
  });

  it("accepts names that merely contain a platform's name", () => {
    expect(aliasNameProblem("my-claude-sonnet")).toBeUndefined();
    expect(aliasNameProblem("claude")).toBeUndefined();
    expect(aliasNameProblem("geminifast")).toBeUndefined();
  });
});

describe("targetModelProblem", () => {
  it.each(["claude-sonnet-4-5", "claude-sonnet-4-5@20250929", "gemini-2.5-flash", "gemini-3-pro-preview", "claude-new_model.v2", "gpt-5-mini", "o3"])("accepts %j", (target) => {
    expect(targetModelProblem(target)).toBeUndefined();
  });

  it.each([
    ["", "must not be empty"],
    ["llama-3-70b", M],
    ["Claude-sonnet-4-5", M],
    ["claude-", M],
    ["gemini-", M],
    ["gpt-", M],
    ["gemini-2.5-pro/../../x", "may hold only letters, digits and . _ @ -"],
    ["gemini-2.5-pro:streamGenerateContent", "may hold only letters, digits and . _ @ -"],
    ["claude-sonnet 4", "may hold only letters, digits and . _ @ -"],
    [`claude-${"x".repeat(122)}`, "must be at most 128 characters"],
  ])("refuses %j: %s", (target, problem) => {
    expect(targetModelProblem(target)).toBe(problem);
  });
});

describe("checkModelAlias", () => {
  it("gives the target's platform when both fields are fine, an OpenAI model's name as the alias too", () => {
    expect(checkModelAlias("gpt-4o", "claude-sonnet-4-5")).toEqual({ ok: true, platform: "claude" });
    expect(checkModelAlias("gpt-4o-mini", "gemini-2.5-flash")).toEqual({ ok: true, platform: "gemini" });
    expect(checkModelAlias("fast", "gpt-5-mini")).toEqual({ ok: true, platform: "openai" });
    expect(checkModelAlias("gpt-4o", "gpt-4.1")).toEqual({ ok: true, platform: "openai" });
  });

  it("names the field that breaks a rule, the alias first", () => {
    expect(checkModelAlias("claude-x", "gpt-4o")).toMatchObject({ ok: false, field: "alias" });
    expect(checkModelAlias("gpt-4o", "gpt-4o")).toEqual({ ok: false, field: "target_model", problem: "must not be the alias itself" });
    expect(checkModelAlias("gpt-4o", "llama-3")).toMatchObject({ ok: false, field: "target_model" });
    expect(checkModelAlias("gpt-4o", "")).toEqual({ ok: false, field: "target_model", problem: "must not be empty" });
  });
});

describe("byName", () => {
  it("orders by code unit, whatever the locale", () => {
    expect(["gpt-4o", "Z", "a", "gemini-2.5-pro", "claude-x"].sort(byName)).toEqual(["Z", "a", "claude-x", "gemini-2.5-pro", "gpt-4o"]);
  });
});

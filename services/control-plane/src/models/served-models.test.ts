import { describe, expect, it } from "vitest";
import type { ModelAliasRecord } from "./model-alias.js";
import { poolModels, servedModels, type PoolAccount } from "./served-models.js";

const LISTED = ["claude-sonnet-4-5", "claude-opus-4-1", "gemini-2.5-pro", "gemini-2.5-flash", "unprefixed-model"];

const alias = (name: string, targetModel: string, platform: ModelAliasRecord["platform"]): ModelAliasRecord => ({ alias: name, targetModel, platform, updatedAtMs: 1 });
const ALIASES = [alias("gpt-4o", "claude-sonnet-4-5", "claude"), alias("gpt-4o-mini", "gemini-2.5-flash", "gemini"), alias("o3", "claude-opus-4-1", "claude")];

const ids = (models: { id: string }[]) => models.map((m) => m.id);

describe("servedModels", () => {
  it("offers a key open to everything every listed model and every alias, sorted by id", () => {
    const models = servedModels({ platforms: [], allowedModels: [] }, LISTED, ALIASES);
    expect(ids(models)).toEqual(["claude-opus-4-1", "claude-sonnet-4-5", "gemini-2.5-flash", "gemini-2.5-pro", "gpt-4o", "gpt-4o-mini", "o3"]);
    expect(models.find((m) => m.id === "gpt-4o-mini")).toEqual({ id: "gpt-4o-mini", platform: "gemini", upstreamModel: "gemini-2.5-flash" });
    expect(models.find((m) => m.id === "gemini-2.5-pro")).toEqual({ id: "gemini-2.5-pro", platform: "gemini", upstreamModel: "gemini-2.5-pro" });
  });

  it("leaves out listed ids that name no platform", () => {
    expect(ids(servedModels({ allowedModels: [] }, LISTED, []))).not.toContain("unprefixed-model");
  });

  it.each([
    [["gemini"], ["gemini-2.5-flash", "gemini-2.5-pro", "gpt-4o-mini"]],
    [["claude"], ["claude-opus-4-1", "claude-sonnet-4-5", "gpt-4o", "o3"]],
    [["claude", "gemini"], ["claude-opus-4-1", "claude-sonnet-4-5", "gemini-2.5-flash", "gemini-2.5-pro", "gpt-4o", "gpt-4o-mini", "o3"]],
  ] as const)("limits a key on %j to that platform's models and the aliases targeting it", (platforms, expected) => {
    expect(ids(servedModels({ platforms: [...platforms], allowedModels: [] }, LISTED, ALIASES))).toEqual(expected);
  });

  it.each([
    [["claude-sonnet-4-5"], ["claude-sonnet-4-5", "gpt-4o"]],
    [["claude-*"], ["claude-opus-4-1", "claude-sonnet-4-5", "gpt-4o", "o3"]],
    [["gemini-2.5-*", "claude-opus-4-1"], ["claude-opus-4-1", "gemini-2.5-flash", "gemini-2.5-pro", "gpt-4o-mini", "o3"]],
    [["gpt-4o"], []],
  ])("filters by the key's allowed models %j, matching an alias by its target", (allowedModels, expected) => {
    expect(ids(servedModels({ allowedModels }, LISTED, ALIASES))).toEqual(expected);
  });

  it("applies the platform and the model patterns together", () => {
    expect(ids(servedModels({ platforms: ["gemini"], allowedModels: ["*-flash", "claude-*"] }, LISTED, ALIASES))).toEqual([]);
    expect(ids(servedModels({ platforms: ["gemini"], allowedModels: ["gemini-2.5-f*"] }, LISTED, ALIASES))).toEqual(["gemini-2.5-flash", "gpt-4o-mini"]);
  });

  it("serves an alias whose target is not in the price tables", () => {
    const models = servedModels({ allowedModels: [] }, [], [alias("next", "claude-next-1", "claude")]);
    expect(models).toEqual([{ id: "next", platform: "claude", upstreamModel: "claude-next-1" }]);
  });
});

describe("servedModels with OpenAI models", () => {
  const listed = ["claude-sonnet-4-5", "gpt-4o", "gpt-5", "o3"];

  it("lists OpenAI models under the openai platform for a key that may use it", () => {
    const models = servedModels({ platforms: ["openai"], allowedModels: [] }, listed, []);
    expect(models).toEqual([
      { id: "gpt-4o", platform: "openai", upstreamModel: "gpt-4o" },
      { id: "gpt-5", platform: "openai", upstreamModel: "gpt-5" },
      { id: "o3", platform: "openai", upstreamModel: "o3" },
    ]);
    expect(ids(servedModels({ platforms: ["claude"], allowedModels: [] }, listed, []))).toEqual(["claude-sonnet-4-5"]);
  });

  it("serves an alias named like an OpenAI model in its place: the alias wins for its name", () => {
    const models = servedModels({ allowedModels: [] }, listed, [alias("gpt-4o", "claude-sonnet-4-5", "claude")]);
    expect(models.filter((m) => m.id === "gpt-4o")).toEqual([{ id: "gpt-4o", platform: "claude", upstreamModel: "claude-sonnet-4-5" }]);
    expect(ids(models)).toEqual(["claude-sonnet-4-5", "gpt-4o", "gpt-5", "o3"]);
  });
});

describe("poolModels", () => {
  const priced = ["claude-sonnet-4-5", "gemini-2.5-pro", "gpt-4o", "gpt-5", "gpt-5-codex", "o3", "unprefixed"];
  const account = (type: PoolAccount["type"], over: Partial<PoolAccount> = {}): PoolAccount => ({ type, schedulable: true, allowedModels: [], ...over });

  it("lists Claude and Gemini models whatever the pool holds, and OpenAI models only with an OpenAI account", () => {
    expect(poolModels(priced, [account("claude-oauth")])).toEqual(["claude-sonnet-4-5", "gemini-2.5-pro"]);
    expect(poolModels(priced, [account("openai-api", { schedulable: false })])).toEqual(["claude-sonnet-4-5", "gemini-2.5-pro"]);
    expect(poolModels(priced, [account("openai-oauth")])).toEqual(["claude-sonnet-4-5", "gemini-2.5-pro", "gpt-4o", "gpt-5", "gpt-5-codex", "o3"]);
  });

  it("lists the OpenAI models some account may serve, with the exact names accounts allow, priced or not", () => {
    const pool = [account("openai-oauth", { allowedModels: ["gpt-5*", "gpt-5.5-codex"] }), account("openai-api", { allowedModels: ["o3", "claude-x", "my-model"] })];
    expect(poolModels(priced, pool)).toEqual(["claude-sonnet-4-5", "gemini-2.5-pro", "gpt-5", "gpt-5-codex", "o3", "gpt-5.5-codex"]);
  });
});

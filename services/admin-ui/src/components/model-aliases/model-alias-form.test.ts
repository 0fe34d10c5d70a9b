import { create } from "@bufbuild/protobuf";
import { ModelAliasSchema } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { emptyModelAliasForm, formFromModelAlias, modelAliasFormProblem, platformOfModel, toSetModelAliasRequest } from "./model-alias-form.js";

const adding = { existing: ["gpt-4o"], editing: false };

describe("modelAliasFormProblem", () => {
  it.each([
    [{ alias: "", targetModel: "claude-sonnet-4-5" }, "aliasRequired"],
    [{ alias: "  ", targetModel: "claude-sonnet-4-5" }, "aliasRequired"],
    [{ alias: "claude-fast", targetModel: "claude-sonnet-4-5" }, "aliasReserved"],
    [{ alias: "Gemini-Pro", targetModel: "gemini-2.5-pro" }, "aliasReserved"],
    [{ alias: "gpt-4o", targetModel: "gemini-2.5-pro" }, "aliasTaken"],
    [{ alias: "o3", targetModel: " " }, "targetRequired"],
    [{ alias: "o3", targetModel: "gpt-4-turbo" }, "targetPlatform"],
    [{ alias: "o3", targetModel: "claude-" }, "targetPlatform"],
    [{ alias: "o3", targetModel: "Claude-opus-4-1" }, "targetPlatform"],
  ] as const)("finds %j: %s", (form, problem) => {
    expect(modelAliasFormProblem(form, adding)).toBe(problem);
  });

  it("lets a valid alias through, and an existing one while editing it", () => {
    expect(modelAliasFormProblem({ alias: "o3", targetModel: "claude-opus-4-1" }, adding)).toBeUndefined();
    expect(modelAliasFormProblem({ alias: "gpt-4o", targetModel: "gemini-2.5-pro" }, { existing: ["gpt-4o"], editing: true })).toBeUndefined();
    expect(modelAliasFormProblem({ alias: "my-claude", targetModel: "claude-opus-4-1" }, adding)).toBeUndefined();
  });
});

describe("platformOfModel", () => {
  it("reads the platform from the model's prefix", () => {
    expect(platformOfModel("claude-sonnet-4-5")).toBe("claude");
    expect(platformOfModel(" gemini-2.5-flash ")).toBe("gemini");
    expect(platformOfModel("gpt-4o")).toBeUndefined();
    expect(platformOfModel("gemini-")).toBeUndefined();
  });
});

describe("the form's values", () => {
  it("starts blank, fills in from an alias and sends the names trimmed", () => {
    expect(emptyModelAliasForm()).toEqual({ alias: "", targetModel: "" });
    expect(formFromModelAlias(create(ModelAliasSchema, { alias: "gpt-4o", targetModel: "claude-sonnet-4-5" }))).toEqual({ alias: "gpt-4o", targetModel: "claude-sonnet-4-5" });
    expect(toSetModelAliasRequest({ alias: " gpt-4o ", targetModel: " claude-sonnet-4-5\n" })).toEqual({ alias: "gpt-4o", targetModel: "claude-sonnet-4-5" });
  });
});

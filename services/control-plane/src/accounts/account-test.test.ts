import { describe, expect, it } from "vitest";
import { DEFAULT_TEST_MODEL, pickTestModel, readErrorBody, testRequestHeaders } from "./account-test.js";

describe("pickTestModel", () => {
  it("takes the first allowed model that is not a wildcard", () => {
    expect(pickTestModel(["claude-opus-*", "claude-sonnet-4-5", "claude-haiku-4-5"])).toBe("claude-sonnet-4-5");
  });

  it("falls back to the small default when every model is allowed or only wildcards are listed", () => {
    expect(pickTestModel([])).toBe(DEFAULT_TEST_MODEL);
    expect(pickTestModel(["claude-*"])).toBe(DEFAULT_TEST_MODEL);
  });
});

describe("readErrorBody", () => {
  it("reads the type and message of an Anthropic error body", () => {
    expect(readErrorBody('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')).toEqual({ type: "overloaded_error", message: "Overloaded" });
  });

  it("returns empty strings for a body that is not an error object", () => {
    expect(readErrorBody("<html>bad gateway</html>")).toEqual({ type: "", message: "" });
  });
});

describe("testRequestHeaders", () => {
  it("puts a console key in x-api-key and an OAuth token in a bearer with the beta", () => {
    expect(testRequestHeaders({ kind: "api-key", apiKey: "k" })).toMatchObject({ "x-api-key": "k", "anthropic-version": "2023-06-01" });
    const oauth = testRequestHeaders({ kind: "oauth", accessToken: "t", refreshToken: "", expiresAtMs: 0, scopes: [] });
    expect(oauth).toMatchObject({ authorization: "Bearer t", "anthropic-beta": "oauth-2025-04-20" });
    expect(oauth["x-api-key"]).toBeUndefined();
  });
});

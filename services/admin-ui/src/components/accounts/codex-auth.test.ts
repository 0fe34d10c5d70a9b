import { describe, expect, it } from "vitest";
import { codexAuthProblem } from "./codex-auth.js";

const AUTH = JSON.stringify({
  OPENAI_API_KEY: null,
  tokens: { id_token: "eyJ.id", access_token: "eyJ.at", refresh_token: "rt_1", account_id: "4f1c-acct" },
  last_refresh: "2026-01-01T00:00:00Z",
});

describe("codexAuthProblem", () => {
  it("accepts Codex's auth.json of a ChatGPT sign-in, or one holding only a refresh token", () => {
    expect(codexAuthProblem(AUTH)).toBeUndefined();
    expect(codexAuthProblem('{"tokens":{"refresh_token":"rt_1"}}')).toBeUndefined();
  });

  it("says a file that is not a JSON object is not JSON, without repeating it", () => {
    expect(codexAuthProblem("eyJ.secret-token")).toBe("accountForm.authJsonNotJson");
    expect(codexAuthProblem('["tokens"]')).toBe("accountForm.authJsonNotJson");
    expect(codexAuthProblem("null")).toBe("accountForm.authJsonNotJson");
  });

  it("points a file holding only an API key to the OpenAI API key type", () => {
    expect(codexAuthProblem('{"OPENAI_API_KEY":"sk-proj-1","tokens":null}')).toBe("accountForm.authJsonApiKeyOnly");
  });

  it("says when the file holds no sign-in tokens at all", () => {
    expect(codexAuthProblem('{"OPENAI_API_KEY":null,"tokens":{"access_token":"","id_token":"x"}}')).toBe("accountForm.authJsonNoToken");
    expect(codexAuthProblem('{"access_token":"at"}')).toBe("accountForm.authJsonNoToken");
  });
});

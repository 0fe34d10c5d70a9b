import { describe, expect, it } from "vitest";
import { interpolate, MissingVariableError, parseEnvFile } from "./compose-env.js";

describe("interpolate", () => {
  it("substitutes set variables, defaults and escaped dollars", () => {
    const env = { A: "1", EMPTY: "" };
    expect(interpolate("$A ${A} ${B:-2} ${EMPTY:-3} ${EMPTY-4} $$A", env)).toBe("1 1 2 3  $A");
  });

  it("throws for an unset required variable, naming it", () => {
    expect(() => interpolate("${TOKEN:?set TOKEN in .env}", {})).toThrow(MissingVariableError);
    expect(() => interpolate("${TOKEN:?set TOKEN in .env}", { TOKEN: "" })).toThrow("TOKEN: set TOKEN in .env");
    expect(interpolate("${TOKEN?x}", { TOKEN: "" })).toBe("");
  });
});

describe("parseEnvFile", () => {
  it("reads KEY=value lines and skips comments and blanks", () => {
    expect(parseEnvFile('# c\n\nA=1\nB = "two words"\n# C=3\nD=x=y\n')).toEqual({ A: "1", B: "two words", D: "x=y" });
  });
});

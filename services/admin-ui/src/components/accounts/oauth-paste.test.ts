import { describe, expect, it } from "vitest";
import { parseOAuthPaste } from "./oauth-paste.js";

describe("parseOAuthPaste", () => {
  it("takes the code and state from the address a ChatGPT sign-in lands on", () => {
    expect(parseOAuthPaste(" http://localhost:1455/auth/callback?code=ac_Xy-1.z&scope=openid&state=st-9 \n")).toEqual({
      kind: "code",
      code: "ac_Xy-1.z",
      state: "st-9",
    });
  });

  it("decodes escaped parameters and reads a code sent in the fragment", () => {
    expect(parseOAuthPaste("http://localhost:1455/auth/callback?code=a%2Fb%3D&state=s")).toEqual({ kind: "code", code: "a/b=", state: "s" });
    expect(parseOAuthPaste("https://example.test/cb#code=frag-1&state=s2")).toEqual({ kind: "code", code: "frag-1", state: "s2" });
  });

  it("passes a bare code as pasted, Claude's code#state included", () => {
    expect(parseOAuthPaste(" abc#st-1 ")).toEqual({ kind: "code", code: "abc#st-1" });
    expect(parseOAuthPaste("4/0Ab-code")).toEqual({ kind: "code", code: "4/0Ab-code" });
  });

  it("reads an address without a state as its code alone", () => {
    expect(parseOAuthPaste("http://localhost:1455/auth/callback?code=c1")).toEqual({ kind: "code", code: "c1" });
  });

  it("reports the error a provider sent back instead of a code", () => {
    expect(parseOAuthPaste("http://localhost:1455/auth/callback?error=access_denied&state=s")).toEqual({ kind: "error", error: "access_denied" });
  });

  it("reads blank input as empty, and an address with neither code nor error as the text itself", () => {
    expect(parseOAuthPaste("  ")).toEqual({ kind: "empty" });
    expect(parseOAuthPaste("http://localhost:1455/auth/callback")).toEqual({ kind: "code", code: "http://localhost:1455/auth/callback" });
  });
});

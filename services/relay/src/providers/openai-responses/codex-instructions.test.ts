import { describe, expect, it } from "vitest";
import { DEFAULT_CODEX_INSTRUCTIONS, withCodexInstructions } from "./codex-instructions.js";

describe("withCodexInstructions", () => {
  it("adds instructions after the opening brace and leaves every other byte as it came", () => {
    const body = Buffer.from(' \n{"model":"gpt-5.1-codex","input":"grüße 世界","stream":true,"store":false}');
    const out = withCodexInstructions(body, false);
    expect(out.toString("utf8")).toBe(` \n{"instructions":${JSON.stringify(DEFAULT_CODEX_INSTRUCTIONS)},"model":"gpt-5.1-codex","input":"grüße 世界","stream":true,"store":false}`);
    expect(JSON.parse(out.toString("utf8"))).toMatchObject({ instructions: DEFAULT_CODEX_INSTRUCTIONS, model: "gpt-5.1-codex" });
  });

  it("passes a body with its own instructions unchanged", () => {
    const body = Buffer.from('{"model":"m","instructions":"Be brief.","input":"hi"}');
    expect(withCodexInstructions(body, true)).toBe(body);
  });

  it("leaves anything but a JSON object alone", () => {
    const body = Buffer.from("[1,2]");
    expect(withCodexInstructions(body, false)).toBe(body);
  });
});

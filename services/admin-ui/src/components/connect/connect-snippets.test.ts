import { describe, expect, it } from "vitest";
import { connectSnippets, normalizeRelayUrl, shellQuote } from "./connect-snippets.js";

const snippets = (relayUrl: string, apiKey: string) => Object.fromEntries(connectSnippets({ relayUrl, apiKey }).map((s) => [s.id, s.code]));

describe("connectSnippets", () => {
  it("gives Claude Code one export line then claude", () => {
    expect(snippets("http://relay.local:8080/", "cr_abc")["claude-code"]).toBe(
      "export ANTHROPIC_BASE_URL=http://relay.local:8080 ANTHROPIC_API_KEY=cr_abc\nclaude",
    );
  });

  it("fills the SDK examples and curl with the URL and key", () => {
    const all = snippets("http://10.0.0.5:8080", "cr_k-1");
    expect(all.python).toContain('anthropic.Anthropic(base_url="http://10.0.0.5:8080", api_key="cr_k-1")');
    expect(all.typescript).toContain('new Anthropic({ baseURL: "http://10.0.0.5:8080", apiKey: "cr_k-1" })');
    expect(all.curl).toContain("curl http://10.0.0.5:8080/v1/messages \\");
    expect(all.curl).toContain("-H 'x-api-key: cr_k-1'");
    expect(all.curl).toContain("anthropic-version: 2023-06-01");
  });

  it("sends curl a body that parses as a Messages request", () => {
    const curl = snippets("http://h:8080", "cr_x").curl ?? "";
    const body = /-d '(.*)'$/.exec(curl)?.[1] ?? "";
    expect(JSON.parse(body)).toMatchObject({ model: "claude-sonnet-4-5", max_tokens: 256, messages: [{ role: "user" }] });
  });

  it("quotes hostile values so they stay one shell word or one string literal", () => {
    const all = snippets("http://h:8080", "a'b; rm -rf ~");
    expect(all["claude-code"]).toContain(`ANTHROPIC_API_KEY='a'\\''b; rm -rf ~'`);
    expect(all.python).toContain('api_key="a\'b; rm -rf ~"');
  });
});

describe("shellQuote and normalizeRelayUrl", () => {
  it("leaves plain words bare and quotes the rest", () => {
    expect(shellQuote("http://h:8080/v1")).toBe("http://h:8080/v1");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("")).toBe("''");
  });

  it("drops trailing slashes and spaces", () => {
    expect(normalizeRelayUrl(" http://h:8080// ")).toBe("http://h:8080");
  });
});

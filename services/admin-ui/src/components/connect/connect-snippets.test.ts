import { describe, expect, it } from "vitest";
import { connectSnippets, normalizeRelayUrl, shellQuote, tomlString } from "./connect-snippets.js";

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

describe("Gemini snippets", () => {
  it("points the Gemini CLI's API key mode at the relay's /gemini path", () => {
    expect(snippets("http://relay.local:8080/", "cr_abc")["gemini-cli"]).toBe(
      "export GOOGLE_GEMINI_BASE_URL=http://relay.local:8080/gemini GEMINI_API_KEY=cr_abc\ngemini",
    );
  });

  it("points the Gemini CLI's Google sign-in mode at the relay as its Code Assist endpoint, the key as its token", () => {
    expect(snippets("http://relay.local:8080", "cr_abc")["gemini-cli-google"]).toBe(
      "export GOOGLE_GENAI_USE_GCA=true CODE_ASSIST_ENDPOINT=http://relay.local:8080 GOOGLE_CLOUD_ACCESS_TOKEN=cr_abc\ngemini",
    );
  });

  it("gives @google/genai the key and the /gemini base URL", () => {
    const genai = snippets("http://10.0.0.5:8080", "cr_k-1").genai ?? "";
    expect(genai).toContain('import { GoogleGenAI } from "@google/genai";');
    expect(genai).toContain('new GoogleGenAI({ apiKey: "cr_k-1", httpOptions: { baseUrl: "http://10.0.0.5:8080/gemini" } })');
    expect(genai).toContain('model: "gemini-2.5-flash"');
  });

  it("quotes hostile values in the Gemini commands too", () => {
    const all = snippets("http://h:8080", "a'b; rm -rf ~");
    expect(all["gemini-cli"]).toContain(`GEMINI_API_KEY='a'\\''b; rm -rf ~'`);
    expect(all["gemini-cli-google"]).toContain(`GOOGLE_CLOUD_ACCESS_TOKEN='a'\\''b; rm -rf ~'`);
  });

  it("files each snippet under the platform that serves it", () => {
    const platforms = connectSnippets({ relayUrl: "http://h", apiKey: "k" }).map((s) => [s.id, s.platform]);
    expect(platforms).toEqual([
      ["claude-code", "claude"],
      ["python", "claude"],
      ["typescript", "claude"],
      ["curl", "claude"],
      ["gemini-cli", "gemini"],
      ["gemini-cli-google", "gemini"],
      ["genai", "gemini"],
      ["codex-config", "openai"],
      ["codex", "openai"],
      ["responses-typescript", "openai"],
      ["responses-python", "openai"],
      ["openai-typescript", "openai-chat"],
      ["openai-python", "openai-chat"],
      ["openai-curl", "openai-chat"],
    ]);
  });
});

describe("OpenAI snippets", () => {
  it("gives both OpenAI SDKs the relay's /openai/v1 base URL and the relay key", () => {
    const all = snippets("http://relay.local:8080/", "cr_abc");
    expect(all["openai-typescript"]).toContain('import OpenAI from "openai";');
    expect(all["openai-typescript"]).toContain('new OpenAI({ baseURL: "http://relay.local:8080/openai/v1", apiKey: "cr_abc" })');
    expect(all["openai-typescript"]).toContain("client.chat.completions.create({");
    expect(all["openai-python"]).toContain("from openai import OpenAI");
    expect(all["openai-python"]).toContain('OpenAI(base_url="http://relay.local:8080/openai/v1", api_key="cr_abc")');
  });

  it("sends curl to chat completions with the key as a bearer token and a body that parses", () => {
    const curl = snippets("http://relay.local:8080", "cr_abc")["openai-curl"] ?? "";
    expect(curl.split("\n")).toEqual([
      "curl http://relay.local:8080/openai/v1/chat/completions \\",
      "  -H 'Authorization: Bearer cr_abc' \\",
      "  -H 'content-type: application/json' \\",
      `  -d '{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hello"}]}'`,
    ]);
  });

  it("quotes hostile values in the OpenAI snippets too", () => {
    const all = snippets("http://h:8080", "a'b; rm -rf ~");
    expect(all["openai-curl"]).toContain(`-H 'Authorization: Bearer a'\\''b; rm -rf ~'`);
    expect(all["openai-python"]).toContain('api_key="a\'b; rm -rf ~"');
    expect(all["openai-typescript"]).toContain('apiKey: "a\'b; rm -rf ~"');
  });
});

describe("Codex and Responses snippets", () => {
  it("gives Codex a provider block pointing at the relay's /openai/v1 with the Responses wire API and the key's variable", () => {
    expect(snippets("http://relay.local:8080/", "cr_abc")["codex-config"]).toBe(
      [
        'model_provider = "relay"',
        "",
        "[model_providers.relay]",
        'name = "claude-relay"',
        'base_url = "http://relay.local:8080/openai/v1"',
        'wire_api = "responses"',
        'env_key = "CLAUDE_RELAY_API_KEY"',
      ].join("\n"),
    );
  });

  it("never puts the key in the config file, only in the variable Codex reads, then runs codex exec", () => {
    const all = snippets("http://relay.local:8080", "cr_secret");
    expect(all["codex-config"]).not.toContain("cr_secret");
    expect(all.codex).toBe('export CLAUDE_RELAY_API_KEY=cr_secret\ncodex exec "Say hello"');
  });

  it("gives both OpenAI SDKs the Responses API at /openai/v1 with the relay key", () => {
    const all = snippets("http://10.0.0.5:8080", "cr_k-1");
    expect(all["responses-typescript"]).toContain('new OpenAI({ baseURL: "http://10.0.0.5:8080/openai/v1", apiKey: "cr_k-1" })');
    expect(all["responses-typescript"]).toContain("client.responses.create({");
    expect(all["responses-typescript"]).toContain('model: "gpt-5"');
    expect(all["responses-typescript"]).toContain("response.output_text");
    expect(all["responses-python"]).toContain('OpenAI(base_url="http://10.0.0.5:8080/openai/v1", api_key="cr_k-1")');
    expect(all["responses-python"]).toContain("client.responses.create(");
    expect(all["responses-python"]).toContain('input="Hello"');
  });

  it("quotes hostile values in the Codex snippets too", () => {
    const all = snippets('http://h:8080/"x\\y', "a'b; rm -rf ~");
    expect(all.codex).toContain(`CLAUDE_RELAY_API_KEY='a'\\''b; rm -rf ~'`);
    expect(all["codex-config"]).toContain('base_url = "http://h:8080/\\"x\\\\y/openai/v1"');
  });
});

describe("tomlString", () => {
  it("escapes quotes, backslashes and control characters with TOML's basic-string escapes", () => {
    expect(tomlString("plain")).toBe('"plain"');
    expect(tomlString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(tomlString("tab\there\nline\u0001\u007f")).toBe('"tab\\there\\nline\\u0001\\u007F"');
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

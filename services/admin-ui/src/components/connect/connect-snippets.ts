/**
 * Ready-to-paste commands for pointing a client at the relay. Values are
 * quoted for the language they land in, so any URL or key pastes safely.
 */

/** One client's instructions. */
export interface ConnectSnippet {
  id: "claude-code" | "python" | "typescript" | "curl";
  /** Highlighting hint for the block: "bash", "python" or "typescript". */
  language: "bash" | "python" | "typescript";
  code: string;
}

/** What the snippets are filled in with. */
export interface ConnectSnippetInput {
  relayUrl: string;
  apiKey: string;
  /** Model for the SDK and curl examples. */
  model?: string;
}

/** The model the examples ask for. */
export const EXAMPLE_MODEL = "claude-sonnet-4-5";

/** A value for a POSIX shell: bare when it is plainly safe, else single-quoted. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The relay URL without trailing slashes, as the SDKs expect a base URL. */
export function normalizeRelayUrl(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

/** The four snippets: Claude Code, the Python SDK, the TypeScript SDK, curl. */
export function connectSnippets({ relayUrl, apiKey, model = EXAMPLE_MODEL }: ConnectSnippetInput): ConnectSnippet[] {
  const url = normalizeRelayUrl(relayUrl);
  const body = JSON.stringify({ model, max_tokens: 256, messages: [{ role: "user", content: "Hello" }] });
  return [
    {
      id: "claude-code",
      language: "bash",
      code: `export ANTHROPIC_BASE_URL=${shellQuote(url)} ANTHROPIC_API_KEY=${shellQuote(apiKey)}\nclaude`,
    },
    {
      id: "python",
      language: "python",
      code: [
        "# pip install anthropic",
        "import anthropic",
        "",
        `client = anthropic.Anthropic(base_url=${JSON.stringify(url)}, api_key=${JSON.stringify(apiKey)})`,
        "message = client.messages.create(",
        `    model=${JSON.stringify(model)},`,
        "    max_tokens=256,",
        '    messages=[{"role": "user", "content": "Hello"}],',
        ")",
        "print(message.content[0].text)",
      ].join("\n"),
    },
    {
      id: "typescript",
      language: "typescript",
      code: [
        "// npm install @anthropic-ai/sdk",
        'import Anthropic from "@anthropic-ai/sdk";',
        "",
        `const client = new Anthropic({ baseURL: ${JSON.stringify(url)}, apiKey: ${JSON.stringify(apiKey)} });`,
        "const message = await client.messages.create({",
        `  model: ${JSON.stringify(model)},`,
        "  max_tokens: 256,",
        '  messages: [{ role: "user", content: "Hello" }],',
        "});",
        "console.log(message.content);",
      ].join("\n"),
    },
    {
      id: "curl",
      language: "bash",
      code: [
        `curl ${shellQuote(`${url}/v1/messages`)} \\`,
        `  -H ${shellQuote(`x-api-key: ${apiKey}`)} \\`,
        "  -H 'anthropic-version: 2023-06-01' \\",
        "  -H 'content-type: application/json' \\",
        `  -d ${shellQuote(body)}`,
      ].join("\n"),
    },
  ];
}

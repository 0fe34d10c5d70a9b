/**
 * Ready-to-paste commands for pointing a client at the relay. Values are
 * quoted for the language they land in, so any URL or key pastes safely.
 * Claude clients use the relay's root; Gemini API clients use its /gemini
 * prefix, and the Gemini CLI signed in with Google uses the root as its Code
 * Assist endpoint, with the relay key as its access token. OpenAI clients use
 * its /openai/v1 prefix (chat completions, served by both platforms).
 */

/** One client's instructions. */
export interface ConnectSnippet {
  id: "claude-code" | "python" | "typescript" | "curl" | "gemini-cli" | "gemini-cli-google" | "genai" | "openai-typescript" | "openai-python" | "openai-curl";
  /** The platform whose accounts serve the client, or "openai" for the OpenAI-compatible API, which both serve. */
  platform: "claude" | "gemini" | "openai";
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

/** The model the Gemini examples ask for. */
export const EXAMPLE_GEMINI_MODEL = "gemini-2.5-flash";

/** The path under the relay's URL where it serves the Gemini API. */
export const GEMINI_PATH = "/gemini";

/** The path under the relay's URL where it serves the OpenAI-compatible API (the SDKs' base URL). */
export const OPENAI_PATH = "/openai/v1";

/** A value for a POSIX shell: bare when it is plainly safe, else single-quoted. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The relay URL without trailing slashes, as the SDKs expect a base URL. */
export function normalizeRelayUrl(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

/**
 * Every snippet: Claude Code, the Python and TypeScript SDKs and curl, then the Gemini CLI (both modes) and
 * @google/genai, then the OpenAI SDKs and curl against the OpenAI-compatible API.
 */
export function connectSnippets(input: ConnectSnippetInput): ConnectSnippet[] {
  return [...claudeSnippets(input), ...geminiSnippets(input), ...openaiSnippets(input)];
}

function claudeSnippets({ relayUrl, apiKey, model = EXAMPLE_MODEL }: ConnectSnippetInput): ConnectSnippet[] {
  const url = normalizeRelayUrl(relayUrl);
  const body = JSON.stringify({ model, max_tokens: 256, messages: [{ role: "user", content: "Hello" }] });
  return [
    {
      id: "claude-code",
      platform: "claude",
      language: "bash",
      code: `export ANTHROPIC_BASE_URL=${shellQuote(url)} ANTHROPIC_API_KEY=${shellQuote(apiKey)}\nclaude`,
    },
    {
      id: "python",
      platform: "claude",
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
      platform: "claude",
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
      platform: "claude",
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

function geminiSnippets({ relayUrl, apiKey }: ConnectSnippetInput): ConnectSnippet[] {
  const url = normalizeRelayUrl(relayUrl);
  const geminiUrl = `${url}${GEMINI_PATH}`;
  return [
    {
      id: "gemini-cli",
      platform: "gemini",
      language: "bash",
      code: `export GOOGLE_GEMINI_BASE_URL=${shellQuote(geminiUrl)} GEMINI_API_KEY=${shellQuote(apiKey)}\ngemini`,
    },
    {
      id: "gemini-cli-google",
      platform: "gemini",
      language: "bash",
      code: `export GOOGLE_GENAI_USE_GCA=true CODE_ASSIST_ENDPOINT=${shellQuote(url)} GOOGLE_CLOUD_ACCESS_TOKEN=${shellQuote(apiKey)}\ngemini`,
    },
    {
      id: "genai",
      platform: "gemini",
      language: "typescript",
      code: [
        "// npm install @google/genai",
        'import { GoogleGenAI } from "@google/genai";',
        "",
        `const ai = new GoogleGenAI({ apiKey: ${JSON.stringify(apiKey)}, httpOptions: { baseUrl: ${JSON.stringify(geminiUrl)} } });`,
        "const response = await ai.models.generateContent({",
        `  model: ${JSON.stringify(EXAMPLE_GEMINI_MODEL)},`,
        '  contents: "Hello",',
        "});",
        "console.log(response.text);",
      ].join("\n"),
    },
  ];
}

function openaiSnippets({ relayUrl, apiKey, model = EXAMPLE_MODEL }: ConnectSnippetInput): ConnectSnippet[] {
  const baseUrl = `${normalizeRelayUrl(relayUrl)}${OPENAI_PATH}`;
  const body = JSON.stringify({ model, messages: [{ role: "user", content: "Hello" }] });
  return [
    {
      id: "openai-typescript",
      platform: "openai",
      language: "typescript",
      code: [
        "// npm install openai",
        'import OpenAI from "openai";',
        "",
        `const client = new OpenAI({ baseURL: ${JSON.stringify(baseUrl)}, apiKey: ${JSON.stringify(apiKey)} });`,
        "const completion = await client.chat.completions.create({",
        `  model: ${JSON.stringify(model)},`,
        '  messages: [{ role: "user", content: "Hello" }],',
        "});",
        "console.log(completion.choices[0].message.content);",
      ].join("\n"),
    },
    {
      id: "openai-python",
      platform: "openai",
      language: "python",
      code: [
        "# pip install openai",
        "from openai import OpenAI",
        "",
        `client = OpenAI(base_url=${JSON.stringify(baseUrl)}, api_key=${JSON.stringify(apiKey)})`,
        "completion = client.chat.completions.create(",
        `    model=${JSON.stringify(model)},`,
        '    messages=[{"role": "user", "content": "Hello"}],',
        ")",
        "print(completion.choices[0].message.content)",
      ].join("\n"),
    },
    {
      id: "openai-curl",
      platform: "openai",
      language: "bash",
      code: [
        `curl ${shellQuote(`${baseUrl}/chat/completions`)} \\`,
        `  -H ${shellQuote(`Authorization: Bearer ${apiKey}`)} \\`,
        "  -H 'content-type: application/json' \\",
        `  -d ${shellQuote(body)}`,
      ].join("\n"),
    },
  ];
}

/**
 * Ready-to-paste commands for pointing a client at the relay. Values are
 * quoted for the language they land in, so any URL or key pastes safely.
 * Claude clients use the relay's root; Gemini API clients use its /gemini
 * prefix, and the Gemini CLI signed in with Google uses the root as its Code
 * Assist endpoint, with the relay key as its access token. OpenAI clients use
 * its /openai/v1 prefix: Codex (a model provider in ~/.codex/config.toml
 * whose key comes from CLAUDE_RELAY_API_KEY) and the OpenAI SDKs' Responses
 * API, served by the OpenAI accounts; and chat completions, which accounts
 * of every platform serve.
 */

/** One client's instructions. */
export interface ConnectSnippet {
  id:
    | "claude-code"
    | "python"
    | "typescript"
    | "curl"
    | "gemini-cli"
    | "gemini-cli-google"
    | "genai"
    | "codex-config"
    | "codex"
    | "responses-typescript"
    | "responses-python"
    | "openai-typescript"
    | "openai-python"
    | "openai-curl";
  /**
   * The platform whose accounts serve the client, or "openai-chat" for the OpenAI-compatible chat
   * completions API (the front door of that name), which accounts of every platform serve.
   */
  platform: "claude" | "gemini" | "openai" | "openai-chat";
  /** Highlighting hint for the block: "bash", "python", "typescript" or "toml". */
  language: "bash" | "python" | "typescript" | "toml";
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

/** The model the OpenAI Responses examples ask for. */
export const EXAMPLE_OPENAI_MODEL = "gpt-5";

/** The environment variable the Codex provider block reads the relay key from. */
export const CODEX_KEY_ENV = "CLAUDE_RELAY_API_KEY";

/** The name of the model provider the Codex snippet adds to ~/.codex/config.toml. */
export const CODEX_PROVIDER_ID = "relay";

/** A value for a POSIX shell: bare when it is plainly safe, else single-quoted. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * A TOML basic string. JSON's string escapes (\" \\ \b \f \n \r \t \uXXXX) are all valid
 * TOML escapes, and JSON escapes every control character TOML forbids bare but DEL, escaped here.
 */
export function tomlString(value: string): string {
  return JSON.stringify(value).replaceAll("\x7f", "\\u007F");
}

/** The relay URL without trailing slashes, as the SDKs expect a base URL. */
export function normalizeRelayUrl(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

/**
 * Every snippet: Claude Code, the Python and TypeScript SDKs and curl, then the Gemini CLI (both modes) and
 * @google/genai, then Codex and the OpenAI SDKs' Responses API, then the OpenAI SDKs and curl against chat
 * completions.
 */
export function connectSnippets(input: ConnectSnippetInput): ConnectSnippet[] {
  return [...claudeSnippets(input), ...geminiSnippets(input), ...responsesSnippets(input), ...openaiSnippets(input)];
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

function responsesSnippets({ relayUrl, apiKey }: ConnectSnippetInput): ConnectSnippet[] {
  const baseUrl = `${normalizeRelayUrl(relayUrl)}${OPENAI_PATH}`;
  return [
    {
      id: "codex-config",
      platform: "openai",
      language: "toml",
      code: [
        `model_provider = ${tomlString(CODEX_PROVIDER_ID)}`,
        "",
        `[model_providers.${CODEX_PROVIDER_ID}]`,
        `name = ${tomlString("claude-relay")}`,
        `base_url = ${tomlString(baseUrl)}`,
        `wire_api = ${tomlString("responses")}`,
        `env_key = ${tomlString(CODEX_KEY_ENV)}`,
      ].join("\n"),
    },
    {
      id: "codex",
      platform: "openai",
      language: "bash",
      code: `export ${CODEX_KEY_ENV}=${shellQuote(apiKey)}\ncodex exec "Say hello"`,
    },
    {
      id: "responses-typescript",
      platform: "openai",
      language: "typescript",
      code: [
        "// npm install openai",
        'import OpenAI from "openai";',
        "",
        `const client = new OpenAI({ baseURL: ${JSON.stringify(baseUrl)}, apiKey: ${JSON.stringify(apiKey)} });`,
        "const response = await client.responses.create({",
        `  model: ${JSON.stringify(EXAMPLE_OPENAI_MODEL)},`,
        '  input: "Hello",',
        "});",
        "console.log(response.output_text);",
      ].join("\n"),
    },
    {
      id: "responses-python",
      platform: "openai",
      language: "python",
      code: [
        "# pip install openai",
        "from openai import OpenAI",
        "",
        `client = OpenAI(base_url=${JSON.stringify(baseUrl)}, api_key=${JSON.stringify(apiKey)})`,
        "response = client.responses.create(",
        `    model=${JSON.stringify(EXAMPLE_OPENAI_MODEL)},`,
        '    input="Hello",',
        ")",
        "print(response.output_text)",
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
      platform: "openai-chat",
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
      platform: "openai-chat",
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
      platform: "openai-chat",
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

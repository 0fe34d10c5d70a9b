/**
 * The mock Gemini upstream against the real clients, pointed straight at it: `@google/genai` on the
 * Gemini API, and the Gemini CLI (`@google/gemini-cli`) in API-key mode and in Google-login (Code
 * Assist) mode, each running a prompt that makes it call a tool and print the final answer. What the
 * clients send is asserted here too, since the relay reads the model, the stream flag and the
 * session hint from exactly these requests.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ApiError, GoogleGenAI, Type } from "@google/genai";
import {
  DEFAULT_MOCK_GEMINI_API_KEY,
  DEFAULT_MOCK_GOOGLE_ACCOUNT,
  type MockGemini,
  type MockGeminiOptions,
  type RecordedGeminiRequest,
  startMockGemini,
} from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const FINAL_TEXT = "The folder holds notes-7f3a.txt — done ✅";

const mocks: MockGemini[] = [];
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "gemini-mock-clients-"));
});

afterAll(async () => {
  await Promise.all(mocks.map((mock) => mock.close()));
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function mockFor(options: MockGeminiOptions = {}): Promise<MockGemini> {
  const mock = await startMockGemini(options);
  mocks.push(mock);
  return mock;
}

function lastTurnParts(request: RecordedGeminiRequest | undefined, inEnvelope: boolean): Record<string, unknown>[] {
  const body = request?.json as { contents?: { parts: Record<string, unknown>[] }[]; request?: { contents: { parts: Record<string, unknown>[] }[] } } | undefined;
  const contents = (inEnvelope ? body?.request?.contents : body?.contents) ?? [];
  return contents.at(-1)?.parts ?? [];
}

describe("@google/genai against the mock Gemini API", () => {
  let mock: MockGemini;
  let ai: GoogleGenAI;

  beforeAll(async () => {
    mock = await mockFor();
    ai = new GoogleGenAI({ apiKey: DEFAULT_MOCK_GEMINI_API_KEY, httpOptions: { baseUrl: mock.url } });
  });

  it("generateContent reads the text and usage, and sends the key, the SDK's user agent and the model in the path", async () => {
    const response = await ai.models.generateContent({ model: "gemini-2.5-flash", contents: "héllo 世界", config: { temperature: 0.2 } });
    expect(response.text).toBe("Hello from the mock Gemini — héllo 世界 🎉");
    expect(response.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
    expect(response.modelVersion).toBe("gemini-2.5-flash");
    const request = mock.requests.at(-1);
    expect(request).toMatchObject({ method: "POST", path: "/v1beta/models/gemini-2.5-flash:generateContent", query: {}, operation: "generateContent" });
    expect(request?.headers["x-goog-api-key"]).toBe(DEFAULT_MOCK_GEMINI_API_KEY);
    expect(request?.headers["user-agent"]).toMatch(/^google-genai-sdk\/1\.\d+\.\d+ gl-node\/v20/);
    expect(request?.headers["x-goog-api-client"]).toBe(request?.headers["user-agent"]);
    expect(request?.json).toEqual({ contents: [{ parts: [{ text: "héllo 世界" }], role: "user" }], generationConfig: { temperature: 0.2 } });
  });

  it("generateContentStream reads every SSE chunk, thoughts marked, and the last chunk's usage", async () => {
    mock.enqueue({ kind: "text", text: "añb 🎉 c — stream", thoughts: "Planning the answer.", chunks: 4, chunking: "random" });
    const stream = await ai.models.generateContentStream({ model: "gemini-2.5-pro", contents: "stream please", config: { thinkingConfig: { includeThoughts: true } } });
    let text = "";
    let thoughts = "";
    let chunks = 0;
    let usage: Record<string, unknown> | undefined;
    for await (const chunk of stream) {
      chunks++;
      for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
        if (part.thought) thoughts += part.text ?? "";
        else text += part.text ?? "";
      }
      usage = chunk.usageMetadata as Record<string, unknown> | undefined;
    }
    expect(text).toBe("añb 🎉 c — stream");
    expect(thoughts).toBe("Planning the answer.");
    expect(chunks).toBe(5);
    expect(usage).toMatchObject({ candidatesTokenCount: expect.any(Number), thoughtsTokenCount: expect.any(Number) });
    const request = mock.requests.at(-1);
    expect(request).toMatchObject({ path: "/v1beta/models/gemini-2.5-pro:streamGenerateContent", query: { alt: "sse" } });
    expect((request?.json as { generationConfig: unknown }).generationConfig).toEqual({ thinkingConfig: { includeThoughts: true } });
  });

  it("countTokens sends only the contents and reads totalTokens", async () => {
    const counted = await ai.models.countTokens({ model: "gemini-2.5-pro", contents: "count me" });
    expect(counted.totalTokens).toBeGreaterThan(0);
    expect(mock.requests.at(-1)?.json).toEqual({ contents: [{ parts: [{ text: "count me" }], role: "user" }] });
  });

  it("gets JSON that fits a response schema it asked for", async () => {
    const response = await ai.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "classify",
      config: { responseMimeType: "application/json", responseSchema: { type: Type.OBJECT, properties: { label: { type: Type.STRING, enum: ["spam", "ham"] }, score: { type: Type.NUMBER } }, required: ["label"] } },
    });
    expect(JSON.parse(response.text ?? "")).toEqual({ label: "spam", score: 0 });
  });

  it("surfaces the mock's refusals as ApiErrors with Google's status and body", async () => {
    const refused = new GoogleGenAI({ apiKey: "AIza-wrong", httpOptions: { baseUrl: mock.url } });
    const wrongKey = await refused.models.generateContent({ model: "gemini-2.5-pro", contents: "hi" }).catch((err: unknown) => err);
    expect(wrongKey).toBeInstanceOf(ApiError);
    expect((wrongKey as ApiError).status).toBe(400);
    expect((wrongKey as ApiError).message).toContain("API_KEY_INVALID");
    mock.enqueue({ kind: "error", status: 429, retryDelaySeconds: 9 });
    const limited = await ai.models.generateContentStream({ model: "gemini-2.5-pro", contents: "hi" }).catch((err: unknown) => err);
    expect((limited as ApiError).status).toBe(429);
    expect((limited as ApiError).message).toContain('"retryDelay":"9s"');
    const unknown = await ai.models.generateContent({ model: "gemini-0-nope", contents: "hi" }).catch((err: unknown) => err);
    expect((unknown as ApiError).status).toBe(404);
  });
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the Gemini CLI headless in a scratch HOME and workspace, stdin closed, with a timeout. */
async function runGeminiCli(name: string, selectedType: string, env: Record<string, string>): Promise<CliRun & { workspace: string }> {
  const home = join(scratch, `${name}-home`);
  const workspace = join(scratch, `${name}-work`);
  await mkdir(join(home, ".gemini"), { recursive: true });
  await mkdir(workspace, { recursive: true });
  await writeFile(join(workspace, "notes-7f3a.txt"), "mock workspace file\n");
  const settings = {
    security: { auth: { selectedType } },
    telemetry: { enabled: false },
    general: { disableAutoUpdate: true, disableUpdateNag: true },
    privacy: { usageStatisticsEnabled: false },
  };
  await writeFile(join(home, ".gemini", "settings.json"), JSON.stringify(settings));
  const bin = join(repoRoot, "node_modules/.bin/gemini");
  // GEMINI_CLI_NO_RELAUNCH: the CLI otherwise starts a second Node process for a larger heap
  // (packages/cli/index.ts); that changes no request and costs a third of a run's CPU.
  const args = ["-m", "gemini-2.5-pro", "--yolo", "-p", "What files are in this folder?"];
  return new Promise((resolve) => {
    const child = execFile(
      bin,
      args,
      { cwd: workspace, timeout: 60_000, env: { PATH: process.env.PATH ?? "", HOME: home, TERM: "dumb", GEMINI_CLI_TRUST_WORKSPACE: "true", GEMINI_CLI_NO_RELAUNCH: "true", ...env } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr, workspace }),
    );
    child.stdin?.end();
  });
}

const TOOL_LOOP = { kind: "function-call", name: "list_directory", args: { dir_path: "." }, text: FINAL_TEXT, thoughts: "I should list the folder." } as const;

describe.concurrent("the Gemini CLI against the mock", () => {
  it("in API-key mode runs list_directory on a function call and prints the final text", async () => {
    const mock = await mockFor({ defaultReply: TOOL_LOOP });
    const run = await runGeminiCli("api-key", "gemini-api-key", { GEMINI_API_KEY: DEFAULT_MOCK_GEMINI_API_KEY, GOOGLE_GEMINI_BASE_URL: mock.url });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(FINAL_TEXT);
    const generations = mock.requests.filter((request) => request.operation === "streamGenerateContent");
    expect(generations).toHaveLength(2);
    for (const request of generations) {
      expect(request).toMatchObject({ path: "/v1beta/models/gemini-2.5-pro:streamGenerateContent", query: { alt: "sse" }, status: 200 });
      expect(request.headers["x-goog-api-key"]).toBe(DEFAULT_MOCK_GEMINI_API_KEY);
      expect(request.headers["user-agent"]).toMatch(/^GeminiCLI(-tui)?\/0\.61\.0\/gemini-2\.5-pro \(/);
      expect(request.headers["x-goog-api-client"]).toMatch(/^google-genai-sdk\//);
      expect(Object.keys(request.json as object).sort()).toEqual(["contents", "generationConfig", "systemInstruction", "tools"]);
    }
    const answer = lastTurnParts(generations[1], false)[0]?.functionResponse as { name: string; response: { output: string } } | undefined;
    expect(answer?.name).toBe("list_directory");
    expect(answer?.response.output).toContain("notes-7f3a.txt");
  }, 90_000);

  it("in Google-login mode sets up through loadCodeAssist, runs the tool and prints the final text", async () => {
    const mock = await mockFor({ defaultReply: TOOL_LOOP });
    const run = await runGeminiCli("login", "oauth-personal", {
      GOOGLE_GENAI_USE_GCA: "true",
      GOOGLE_CLOUD_ACCESS_TOKEN: DEFAULT_MOCK_GOOGLE_ACCOUNT.accessToken,
      CODE_ASSIST_ENDPOINT: mock.url,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(FINAL_TEXT);
    const operations = mock.requests.map((request) => request.operation);
    expect(operations[0]).toBe("loadCodeAssist");
    expect(operations).toContain("streamGenerateContent");
    expect(mock.requests.every((request) => request.headers.authorization === `Bearer ${DEFAULT_MOCK_GOOGLE_ACCOUNT.accessToken}` && request.status === 200)).toBe(true);
    const generations = mock.requests.filter((request) => request.operation === "streamGenerateContent");
    expect(generations).toHaveLength(2);
    for (const request of generations) {
      expect(request).toMatchObject({ path: "/v1internal:streamGenerateContent", query: { alt: "sse" } });
      const body = request.json as { model: string; project: string; user_prompt_id: string; request: { session_id: string } };
      expect(body).toMatchObject({ model: "gemini-2.5-pro", project: DEFAULT_MOCK_GOOGLE_ACCOUNT.projectId, user_prompt_id: expect.any(String) });
      expect(body.request.session_id).toMatch(/^[0-9a-f-]{36}$/);
    }
    const sessions = generations.map((request) => (request.json as { request: { session_id: string } }).request.session_id);
    expect(sessions[1]).toBe(sessions[0]);
    expect(lastTurnParts(generations[1], true)[0]?.functionResponse).toMatchObject({ name: "list_directory" });
  }, 90_000);

  it("in Google-login mode onboards a new account before its first prompt", async () => {
    const mock = await mockFor({ defaultReply: TOOL_LOOP, accounts: [{ onboarded: false }] });
    const run = await runGeminiCli("onboard", "oauth-personal", {
      GOOGLE_GENAI_USE_GCA: "true",
      GOOGLE_CLOUD_ACCESS_TOKEN: DEFAULT_MOCK_GOOGLE_ACCOUNT.accessToken,
      CODE_ASSIST_ENDPOINT: mock.url,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(FINAL_TEXT);
    const operations = mock.requests.map((request) => request.operation);
    expect(operations.slice(0, 2)).toEqual(["loadCodeAssist", "onboardUser"]);
    expect(mock.requests[1]?.json).toMatchObject({ tierId: "free-tier" });
    expect(mock.accounts[0]?.onboarded).toBe(true);
  }, 90_000);
});

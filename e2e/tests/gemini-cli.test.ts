/**
 * The real Gemini CLI through the built relay and control plane, against the mock Google upstream:
 * in API-key mode (GOOGLE_GEMINI_BASE_URL=<relay>/gemini) and in Google-login mode
 * (CODE_ASSIST_ENDPOINT=<relay>, our key as the access token), each served once by a Gemini
 * API-key account and once by a Google sign-in (Code Assist) account. Every run makes the CLI call
 * a tool: the mock answers a functionCall first and the final text once the functionResponse
 * comes back. Each run has its own client key bound to the account that must serve it, so the
 * usage read back through the admin API is that run's alone; the last test reads all runs'
 * usage back under the gemini platform.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Account } from "@claude-relay/proto/admin";
import { DEFAULT_MOCK_GOOGLE_ACCOUNT, type RecordedGeminiRequest } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GeminiCliAuth, runGeminiCli } from "./support/gemini-cli.js";
import {
  countsSince,
  createClientKey,
  createGeminiApiAccount,
  createGeminiOAuthAccount,
  GEMINI_ACCOUNT_API_KEY,
  type GeminiStack,
  gemini25ProCost,
  keyUsageToday,
  pollUntil,
  relayRequestCounts,
  startGeminiStack,
  sumTokens,
  tokensOfAnswer,
} from "./support/gemini-stack.js";

const MODEL = "gemini-2.5-pro";
const WORKSPACE_FILE = "relay-notes-5c1d.txt";
const FINAL_TEXT = `The folder holds ${WORKSPACE_FILE} — listed through the relay ✅`;
const TOOL_LOOP = { kind: "function-call", name: "list_directory", args: { dir_path: "." }, text: FINAL_TEXT, thoughts: "I should look at the folder first." } as const;

let stack: GeminiStack;
let scratch: string;
const accounts: Record<"api" | "oauth", Account | undefined> = { api: undefined, oauth: undefined };

beforeAll(async () => {
  stack = await startGeminiStack({ mock: { defaultReply: TOOL_LOOP } });
  scratch = await mkdtemp(join(tmpdir(), "gemini-cli-e2e-"));
  accounts.api = await createGeminiApiAccount(stack, "gemini-api-key");
  accounts.oauth = await createGeminiOAuthAccount(stack, "gemini-google-sign-in");
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** The last turn's parts of a generation request, in either API's body. */
function lastTurnParts(request: RecordedGeminiRequest | undefined): Record<string, unknown>[] {
  const body = request?.json as { contents?: { parts: Record<string, unknown>[] }[]; request?: { contents?: { parts: Record<string, unknown>[] }[] } } | undefined;
  return (body?.request?.contents ?? body?.contents ?? []).at(-1)?.parts ?? [];
}

/** Asserts the upstream requests of one run carried the account's credential and nothing of our key. */
function expectAccountCredentialOnly(seen: RecordedGeminiRequest[], served: "api" | "oauth", clientKey: string): void {
  for (const request of seen) {
    expect(JSON.stringify(request.headers)).not.toContain(clientKey);
    expect(request.url).not.toContain(clientKey);
    expect(request.body.toString("utf8")).not.toContain(clientKey);
    if (served === "api") {
      expect(request.headers["x-goog-api-key"]).toBe(GEMINI_ACCOUNT_API_KEY);
      expect(request.headers.authorization).toBeUndefined();
    } else {
      expect(request.headers.authorization).toBe(`Bearer ${DEFAULT_MOCK_GOOGLE_ACCOUNT.accessToken}`);
      expect(request.headers["x-goog-api-key"]).toBeUndefined();
    }
  }
}

interface Case {
  name: string;
  auth: GeminiCliAuth;
  served: "api" | "oauth";
  env(key: string): Record<string, string>;
}

const apiKeyMode = (key: string) => ({ GEMINI_API_KEY: key, GOOGLE_GEMINI_BASE_URL: `${stack.relayUrl}/gemini` });
const loginMode = (key: string) => ({ GOOGLE_GENAI_USE_GCA: "true", CODE_ASSIST_ENDPOINT: stack.relayUrl, GOOGLE_CLOUD_ACCESS_TOKEN: key });

const CASES: Case[] = [
  { name: "in API-key mode, served by a Gemini API-key account", auth: "gemini-api-key", served: "api", env: apiKeyMode },
  { name: "in API-key mode, served by a Google sign-in (Code Assist) account", auth: "gemini-api-key", served: "oauth", env: apiKeyMode },
  { name: "in Google-login mode, served by a Google sign-in (Code Assist) account", auth: "oauth-personal", served: "oauth", env: loginMode },
  { name: "in Google-login mode, served by a Gemini API-key account", auth: "oauth-personal", served: "api", env: loginMode },
];

describe("the Gemini CLI through the relay", () => {
  it.each(CASES)("$name: runs a tool, prints the final text, and its usage and cost are recorded", async ({ auth, served, env }) => {
    const account = accounts[served];
    if (!account) throw new Error("the account was not created");
    const { id: keyId, key } = await createClientKey(stack, `cli-${auth}-${served}`, account.id);
    const from = stack.mock.requests.length;
    const metricsBefore = await relayRequestCounts(stack.relayMetricsUrl);

    const run = await runGeminiCli({ scratch, auth, env: env(key), prompt: "What files are in this folder?", workspaceFile: WORKSPACE_FILE, model: MODEL, timeoutMs: 40_000 });
    expect(run.timedOut, `the CLI ran past its time limit:\n${run.stderr}`).toBe(false);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(FINAL_TEXT);

    // Upstream: two generation calls on the serving account's API, the second carrying the tool's result.
    const seen = stack.mock.requests.slice(from);
    const generations = seen.filter((r) => r.operation === "streamGenerateContent");
    expect(generations).toHaveLength(2);
    for (const request of generations) {
      expect(request.status).toBe(200);
      if (served === "api") {
        expect(request).toMatchObject({ api: "gemini", path: `/v1beta/models/${MODEL}:streamGenerateContent`, query: { alt: "sse" } });
      } else {
        expect(request).toMatchObject({ api: "code-assist", path: "/v1internal:streamGenerateContent", query: { alt: "sse" } });
        expect(request.json).toMatchObject({ model: MODEL, project: DEFAULT_MOCK_GOOGLE_ACCOUNT.projectId });
      }
    }
    expect(generations[0]?.responseBody.toString("utf8")).toContain('"functionCall"');
    const toolResult = lastTurnParts(generations[1]).find((part) => part.functionResponse)?.functionResponse as { name?: string } | undefined;
    expect(toolResult?.name).toBe("list_directory");
    expect(JSON.stringify(toolResult)).toContain(WORKSPACE_FILE);
    expectAccountCredentialOnly(seen, served, key);

    // Google-login mode: the relay answered the CLI's setup calls itself (loadCodeAssist, retrieveUserQuota,
    // listExperiments at least), all with 200, and none of them reached the upstream.
    const housekeeping = countsSince(metricsBefore, await relayRequestCounts(stack.relayMetricsUrl), "code_assist_housekeeping");
    if (auth === "oauth-personal") {
      expect([...housekeeping.keys()]).toEqual(["200"]);
      expect(housekeeping.get("200")).toBeGreaterThanOrEqual(3);
    } else {
      expect(housekeeping.size).toBe(0);
    }
    expect(seen.filter((r) => r.api === "code-assist" && r.operation !== "streamGenerateContent").map((r) => r.operation)).toEqual([]);

    // Usage: the tokens of the two answers, on this run's key, at gemini-2.5-pro's price.
    const expected = sumTokens(generations.map((r) => tokensOfAnswer(r.responseBody)));
    expect(expected.input).toBeGreaterThan(0);
    expect(expected.output).toBeGreaterThan(0);
    const usage = await pollUntil(() => keyUsageToday(stack, keyId), (u) => u.requests >= 2n);
    expect(usage.requests).toBe(2n);
    expect(usage.inputTokens).toBe(BigInt(expected.input));
    expect(usage.outputTokens).toBe(BigInt(expected.output));
    expect(usage.costUsd).toBeGreaterThan(0);
    expect(usage.costUsd).toBeCloseTo(gemini25ProCost(expected), 8);
  }, 60_000);

  it("counts every run's usage and cost under the gemini platform, and nothing under another", async () => {
    const generations = stack.mock.requests.filter((r) => r.operation === "streamGenerateContent" && r.status === 200);
    expect(generations.length).toBeGreaterThan(0);
    const expected = sumTokens(generations.map((r) => tokensOfAnswer(r.responseBody)));
    const summary = await pollUntil(
      () => stack.admin.usage.getUsageSummary({}),
      (s) => s.platforms.some((p) => p.id === "gemini" && p.usage?.requests === BigInt(generations.length)),
      2_000,
    );
    expect(summary.total?.requests).toBe(BigInt(generations.length));
    expect(summary.platforms.map((p) => p.id)).toEqual(["gemini"]);
    const gemini = summary.platforms[0]?.usage;
    expect(gemini?.requests).toBe(BigInt(generations.length));
    expect(gemini?.inputTokens).toBe(BigInt(expected.input));
    expect(gemini?.outputTokens).toBe(BigInt(expected.output));
    expect(gemini?.costUsd).toBeGreaterThan(0);
    expect(gemini?.costUsd).toBeCloseTo(gemini25ProCost(expected), 8);
  });
});

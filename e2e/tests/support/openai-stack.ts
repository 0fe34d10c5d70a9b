/**
 * The OpenAI-compatible front door's scenarios: startCore's built processes in front of both mock
 * upstreams, with one Claude Console account on the mock Anthropic API and one Gemini API-key
 * account on the mock Google upstream, so every case runs once per platform through the same relay.
 * A `Target` bundles what differs per platform: the model a client names, how to script the mock's
 * next answers, and how to read and check the requests the mock received. The mocks refuse what the
 * real APIs refuse; the turn checks here add what the real APIs would accept but the translators
 * promise on top (strictly alternating turns, results right after their calls).
 */
import { AccountType, type UsageCounters } from "@claude-relay/proto/admin";
import {
  type MockAnthropic,
  type MockGemini,
  type MockGeminiReply,
  type MockReply,
  type RecordedGeminiRequest,
  type RecordedRequest,
  startMockAnthropic,
} from "@claude-relay/testkit";
import OpenAI from "openai";
import { expect } from "vitest";
import { createGeminiApiAccount, type GeminiStack, pollUntil, startGeminiStack } from "./gemini-stack.js";

/** Which kind of account serves a case. */
export type PlatformName = "claude" | "gemini";

/** A parsed request body. */
export type Json = Record<string, unknown>;

/** One upstream request as a case reads it: its status and parsed body. */
export interface UpstreamCall {
  status: number;
  path: string;
  body: Json;
}

/** What a case needs to know about the platform serving it. */
export interface Target {
  platform: PlatformName;
  /** The model a client names. */
  model: string;
  /** Upstream requests so far (a mark to read from later). */
  mark(): number;
  /** The upstream requests since `from`. */
  callsSince(from: number): UpstreamCall[];
}

/** The stack: both mocks, the processes and one account on each. */
export interface OpenAiStack extends GeminiStack {
  anthropic: MockAnthropic;
  claude: Target;
  gemini: Target;
  /** A client key (with its id) made through the admin API. */
  createKey(name: string, limits?: { rateLimit?: { windowSeconds: number; maxRequests: number } }): Promise<{ id: string; key: string }>;
  /** An openai SDK client on the relay's `/openai/v1`, no retries. */
  openai(key: string): OpenAI;
}

/** The upstream API key of the Claude account; only the relay may send it. */
export const CLAUDE_ACCOUNT_KEY = "sk-ant-openai-e2e-0001";

/** Starts the stack; `stop()` stops it and both mocks. */
export async function startOpenAiStack(): Promise<OpenAiStack> {
  const anthropic = await startMockAnthropic();
  let stack: GeminiStack;
  try {
    stack = await startGeminiStack();
  } catch (err) {
    await anthropic.close();
    throw err;
  }
  try {
    await stack.admin.accounts.createAccount({ name: "claude-console", type: AccountType.CLAUDE_CONSOLE, baseUrl: anthropic.url, apiKey: CLAUDE_ACCOUNT_KEY, priority: 50 });
    await createGeminiApiAccount(stack, "gemini-api-key");
  } catch (err) {
    await stack.stop();
    await anthropic.close();
    throw err;
  }
  const gemini = stack.mock;
  return {
    ...stack,
    anthropic,
    claude: {
      platform: "claude",
      model: "claude-sonnet-4-5",
      mark: () => anthropic.requests.length,
      callsSince: (from) => anthropic.requests.slice(from).map(anthropicCall),
    },
    gemini: {
      platform: "gemini",
      model: "gemini-2.5-pro",
      mark: () => gemini.requests.length,
      callsSince: (from) => gemini.requests.slice(from).filter((r) => r.api === "gemini" && r.method === "POST").map(geminiCall),
    },
    async createKey(name, limits = {}) {
      const { apiKey, plaintextKey } = await stack.admin.apiKeys.createApiKey({ name, rateLimit: limits.rateLimit });
      if (!apiKey) throw new Error("CreateApiKey answered without a key");
      return { id: apiKey.id, key: plaintextKey };
    },
    openai: (key) => new OpenAI({ apiKey: key, baseURL: `${stack.relayUrl}/openai/v1`, maxRetries: 0 }),
    async stop() {
      await stack.stop();
      await anthropic.close();
    },
  };
}

function parse(body: Buffer): Json {
  return body.length === 0 ? {} : (JSON.parse(body.toString("utf8")) as Json);
}

function anthropicCall(request: RecordedRequest): UpstreamCall {
  return { status: request.status, path: request.path, body: parse(request.body) };
}

function geminiCall(request: RecordedGeminiRequest): UpstreamCall {
  return { status: request.status, path: request.path, body: parse(request.body) };
}

/** Scripts of one answer on each platform, for cases written once for both. */
export interface Scripts {
  claude: MockReply;
  gemini: MockGeminiReply;
}

/** Queues the platform's script on its mock, `times` times. */
export function enqueue(stack: OpenAiStack, target: Target, scripts: Scripts, times = 1): void {
  for (let i = 0; i < times; i++) {
    if (target.platform === "claude") stack.anthropic.enqueue(scripts.claude);
    else stack.mock.enqueue(scripts.gemini);
  }
}

/**
 * Expects a Messages request the real API accepts (the mock answered 200) and that keeps the
 * promises of the translator: max_tokens set, turns alternating from the user's, every tool_use
 * answered by tool_result blocks leading the next turn, and no result without its call.
 */
export function expectAcceptedMessages(call: UpstreamCall): void {
  expect(call.status).toBe(200);
  expect(Number.isInteger(call.body.max_tokens) && (call.body.max_tokens as number) > 0).toBe(true);
  const messages = call.body.messages as Array<{ role: string; content: string | Json[] }>;
  messages.forEach((message, i) => expect(message.role).toBe(i % 2 === 0 ? "user" : "assistant"));
  messages.forEach((message, i) => {
    const blocks = typeof message.content === "string" ? [] : message.content;
    const uses = blocks.filter((b) => b.type === "tool_use").map((b) => b.id);
    const next = messages[i + 1];
    const nextBlocks = next === undefined || typeof next.content === "string" ? [] : next.content;
    if (uses.length > 0 && next !== undefined) {
      const results = nextBlocks.filter((b) => b.type === "tool_result");
      expect(nextBlocks.slice(0, results.length).every((b) => b.type === "tool_result")).toBe(true);
      expect(results.map((b) => b.tool_use_id).sort()).toEqual([...uses].sort());
    }
    const previous = messages[i - 1];
    const offered = previous === undefined || typeof previous.content === "string" ? [] : previous.content.filter((b) => b.type === "tool_use").map((b) => b.id);
    for (const result of blocks.filter((b) => b.type === "tool_result")) expect(offered).toContain(result.tool_use_id);
  });
}

/**
 * Expects a GenerateContentRequest the real API accepts (the mock answered 200) whose turns
 * alternate from the user's and whose function responses answer the calls of the turn before, one each.
 */
export function expectAcceptedContents(call: UpstreamCall): void {
  expect(call.status).toBe(200);
  const contents = call.body.contents as Array<{ role: string; parts: Json[] }>;
  contents.forEach((content, i) => expect(content.role).toBe(i % 2 === 0 ? "user" : "model"));
  contents.forEach((content, i) => {
    const responses = content.parts.filter((p) => p.functionResponse !== undefined).map((p) => (p.functionResponse as Json).name);
    if (responses.length === 0) return;
    const calls = (contents[i - 1]?.parts ?? []).filter((p) => p.functionCall !== undefined).map((p) => (p.functionCall as Json).name);
    expect(responses.sort()).toEqual(calls.sort());
  });
}

/** Expects the upstream request a platform received to be one its real API accepts. */
export function expectAccepted(target: Target, call: UpstreamCall | undefined): void {
  expect(call).toBeDefined();
  if (target.platform === "claude") expectAcceptedMessages(call as UpstreamCall);
  else expectAcceptedContents(call as UpstreamCall);
}

const NOTHING = { requests: 0n, inputTokens: 0n, outputTokens: 0n, cacheCreationInputTokens: 0n, cacheReadInputTokens: 0n, costUsd: 0, unpricedRequests: 0n };

/** Today's usage of one key once it counts `requests` finished requests (usage is written after the answer). */
export async function keyUsage(stack: OpenAiStack, keyId: string, requests: number): Promise<UsageCounters | typeof NOTHING> {
  return pollUntil(
    async () => (await stack.admin.usage.getDailyUsage({ subject: { subject: { case: "keyId", value: keyId } } })).total ?? NOTHING,
    (usage) => usage.requests >= BigInt(requests),
  );
}

/**
 * The real Codex CLI (`codex exec`) through the built relay and control plane, against the mock
 * OpenAI upstream: once served by an OpenAI API-key account, once by a ChatGPT sign-in (the Codex
 * backend). Each run makes Codex run a shell command: the mock answers an `exec_command` function
 * call first, Codex runs it in its workspace and sends the output back as a function_call_output,
 * and the mock then answers the final text. Each run has its own client key bound to the account
 * that must serve it, so the usage read back through the admin API is that run's alone.
 */
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Account } from "@claude-relay/proto/admin";
import { DEFAULT_MOCK_OPENAI_API_KEY, type RecordedOpenAIRequest } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCodex } from "./support/codex-cli.js";
import { createClientKey, keyUsageToday, pollUntil } from "./support/gemini-stack.js";
import { createChatGptAccount, createOpenAiApiAccount, type OpenAiAccountsStack, startOpenAiAccountsStack } from "./support/openai-accounts-stack.js";

const MARKER = "relay-ran-this-3e9a";
const FINAL_TEXT = "The command ran and wrote its marker through the relay ✅";

let stack: OpenAiAccountsStack;
let scratch: string;
const accounts: Record<"api" | "chatgpt", Account | undefined> = { api: undefined, chatgpt: undefined };

beforeAll(async () => {
  stack = await startOpenAiAccountsStack();
  scratch = await mkdtemp(join(tmpdir(), "codex-e2e-"));
  accounts.api = await createOpenAiApiAccount(stack, "openai-api-key");
  accounts.chatgpt = await createChatGptAccount(stack, "chatgpt-sign-in");
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** The input items of a Responses request, as recorded by the mock. */
function inputItems(request: RecordedOpenAIRequest): Record<string, unknown>[] {
  const body = request.json as { input?: unknown } | undefined;
  return Array.isArray(body?.input) ? (body.input as Record<string, unknown>[]) : [];
}

describe.each([
  { served: "api" as const, path: "/v1/responses" },
  { served: "chatgpt" as const, path: "/backend-api/codex/responses" },
])("codex exec served by the $served account", ({ served, path }) => {
  it(
    "runs the shell command the model asks for, finishes with the model's text, and records usage and cost",
    async () => {
      const account = accounts[served];
      if (!account) throw new Error("account missing");
      const client = await createClientKey(stack, `codex-${served}`, account.id);
      const from = stack.mock.requests.length;
      stack.mock.enqueue(
        { kind: "function_call", name: "exec_command", arguments: JSON.stringify({ cmd: `echo ${MARKER} > marker.txt && cat marker.txt` }) },
        { kind: "text", text: FINAL_TEXT },
      );

      const run = await runCodex({ scratch, relayUrl: stack.relayUrl, key: client.key, prompt: "Write the marker file with a shell command, then say what happened." });

      expect(run.timedOut, run.stderr).toBe(false);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain(FINAL_TEXT);
      expect((await readFile(join(run.workspace, "marker.txt"), "utf8")).trim()).toBe(MARKER);

      const seen = stack.mock.requests.slice(from);
      expect(seen.map((r) => [r.path, r.status])).toEqual([
        [path, 200],
        [path, 200],
      ]);
      // The second turn carries the command's output back to the model.
      const outputs = inputItems(seen[1] as RecordedOpenAIRequest).filter((item) => item.type === "function_call_output");
      expect(outputs).toHaveLength(1);
      expect(String(outputs[0]?.output)).toContain(MARKER);
      for (const request of seen) {
        expect(JSON.stringify(request.headers)).not.toContain(client.key);
        expect(request.body.toString("utf8")).not.toContain(client.key);
        if (served === "api") expect(request.headers.authorization).toBe(`Bearer ${DEFAULT_MOCK_OPENAI_API_KEY}`);
        else expect(request.headers["chatgpt-account-id"]).toBe(stack.mock.accounts[0]?.accountId);
      }

      const usage = await pollUntil(
        () => keyUsageToday(stack, client.id),
        (u) => u.requests === 2n,
      );
      expect(usage.requests).toBe(2n);
      expect(usage.inputTokens).toBeGreaterThan(0n);
      expect(usage.outputTokens).toBeGreaterThan(0n);
      expect(usage.costUsd).toBeGreaterThan(0);
    },
    90_000,
  );
});

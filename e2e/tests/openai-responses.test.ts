/**
 * The OpenAI Responses front door and OpenAI accounts, through the built relay and control plane,
 * against the mock OpenAI upstream: the official openai SDK's `responses.create` (streamed and not)
 * and chat completions on an API-key account, passed through byte for byte; follow-ups naming a
 * `previous_response_id` kept on the account that holds it (the mock refuses an id another key
 * made, as OpenAI does); and the Codex backend's rate-limit windows stored on a ChatGPT account and
 * shown through the admin API.
 */
import type { Account } from "@claude-relay/proto/admin";
import { DEFAULT_MOCK_OPENAI_API_KEY } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClientKey, keyUsageToday, pollUntil } from "./support/gemini-stack.js";
import { createChatGptAccount, createOpenAiApiAccount, type OpenAiAccountsStack, relayOpenAi, startOpenAiAccountsStack } from "./support/openai-accounts-stack.js";

const MODEL = "gpt-4.1";
const SECOND_API_KEY = "sk-mock-openai-second-account";
const TEXT = "Grüße aus dem Relay — 你好 👋";

let stack: OpenAiAccountsStack;
const accounts: Record<"first" | "second" | "chatgpt", Account | undefined> = { first: undefined, second: undefined, chatgpt: undefined };

beforeAll(async () => {
  stack = await startOpenAiAccountsStack();
  stack.mock.apiKeys.add(SECOND_API_KEY);
  accounts.first = await createOpenAiApiAccount(stack, "openai-first");
  accounts.second = await createOpenAiApiAccount(stack, "openai-second", { apiKey: SECOND_API_KEY });
  accounts.chatgpt = await createChatGptAccount(stack, "chatgpt");
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

function accountOf(name: "first" | "second" | "chatgpt"): Account {
  const account = accounts[name];
  if (!account) throw new Error(`${name} account missing`);
  return account;
}

describe("the openai SDK on an API-key account", () => {
  it("gets responses.create's answer unchanged, streamed and not, and the usage is recorded", async () => {
    const client = await createClientKey(stack, "sdk-responses", accountOf("first").id);
    const openai = relayOpenAi(stack.relayUrl, client.key);
    stack.mock.enqueue({ kind: "text", text: TEXT }, { kind: "text", text: TEXT });

    const answer = await openai.responses.create({ model: MODEL, input: "Say hello." });
    expect(answer.output_text).toBe(TEXT);
    expect(answer.id).toMatch(/^resp_/);

    const stream = await openai.responses.create({ model: MODEL, input: "Say hello again.", stream: true });
    let streamed = "";
    let completed = false;
    for await (const event of stream) {
      if (event.type === "response.output_text.delta") streamed += event.delta;
      if (event.type === "response.completed") completed = true;
    }
    expect(streamed).toBe(TEXT);
    expect(completed).toBe(true);

    const usage = await pollUntil(
      () => keyUsageToday(stack, client.id),
      (u) => u.requests === 2n,
    );
    expect(usage.requests).toBe(2n);
    expect(usage.outputTokens).toBeGreaterThan(0n);
    expect(usage.costUsd).toBeGreaterThan(0);
  });

  it("passes a streamed Responses answer through byte for byte, even split inside UTF-8 characters", async () => {
    const client = await createClientKey(stack, "bytes", accountOf("first").id);
    const from = stack.mock.requests.length;
    // One write per byte: every multi-byte character arrives split.
    stack.mock.enqueue({ kind: "text", text: TEXT, chunking: "byte", deltas: 6 });
    const res = await fetch(`${stack.relayUrl}/openai/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${client.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, input: "bytes", stream: true }),
    });
    const received = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    const upstream = stack.mock.requests.slice(from).find((r) => r.operation === "responses");
    expect(upstream?.responseBody.length).toBeGreaterThan(0);
    expect(received.equals(upstream?.responseBody ?? Buffer.alloc(0))).toBe(true);
  });

  it("passes chat completions for a gpt model through untranslated, byte for byte", async () => {
    const client = await createClientKey(stack, "chat", accountOf("first").id);
    const from = stack.mock.requests.length;
    stack.mock.enqueue({ kind: "text", text: TEXT });
    const sent = JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }] });
    const res = await fetch(`${stack.relayUrl}/openai/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${client.key}`, "content-type": "application/json" },
      body: sent,
    });
    const received = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    const upstream = stack.mock.requests.slice(from).find((r) => r.operation === "chatCompletions");
    expect(upstream?.path).toBe("/v1/chat/completions");
    expect(upstream?.body.toString("utf8")).toBe(sent);
    expect(received.equals(upstream?.responseBody ?? Buffer.alloc(0))).toBe(true);
    expect((JSON.parse(received.toString("utf8")) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe(TEXT);
  });
});

describe("follow-ups naming a previous_response_id", () => {
  it("reach the account that holds the response, even once another account is preferred", async () => {
    const client = await createClientKey(stack, "sticky");
    const openai = relayOpenAi(stack.relayUrl, client.key);
    const credentials = { first: DEFAULT_MOCK_OPENAI_API_KEY, second: SECOND_API_KEY } as const;
    /** The credential the mock accepted the request that made `responseId` with. */
    const madeWith = (responseId: string) =>
      stack.mock.requests.find((r) => r.status === 200 && r.operation === "responses" && (r.json as { stream?: boolean }).stream !== true && (JSON.parse(r.responseBody.toString("utf8")) as { id?: string }).id === responseId)
        ?.credential;
    /** Makes `name` the account new conversations go to, and waits until they do. */
    const prefer = async (name: "first" | "second") => {
      const other = name === "first" ? "second" : "first";
      await stack.admin.accounts.updateAccount({ id: accountOf(name).id, priority: 10 });
      await stack.admin.accounts.updateAccount({ id: accountOf(other).id, priority: 90 });
      const landed = await pollUntil(
        async () => madeWith((await openai.responses.create({ model: MODEL, input: "which account?" })).id),
        (credential) => credential === credentials[name],
      );
      expect(landed).toBe(credentials[name]);
    };
    const start = async (n: number) => Promise.all(Array.from({ length: n }, async (_, i) => (await openai.responses.create({ model: MODEL, input: `conversation ${i}` })).id));
    /** Two more turns of each conversation; the credential each turn reached. */
    const continueAll = async (roots: string[]) =>
      Promise.all(
        roots.map(async (root) => {
          const reached: (string | undefined)[] = [];
          let previous = root;
          for (let turn = 1; turn <= 2; turn++) {
            previous = (await openai.responses.create({ model: MODEL, input: `turn ${turn}`, previous_response_id: previous })).id;
            reached.push(madeWith(previous));
          }
          return reached;
        }),
      );

    await prefer("first");
    const onFirst = await start(3);
    await prefer("second");
    const onSecond = await start(3);
    expect(onFirst.map(madeWith)).toEqual([credentials.first, credentials.first, credentials.first]);
    expect(onSecond.map(madeWith)).toEqual([credentials.second, credentials.second, credentials.second]);

    // The second account is preferred now, yet the first's conversations stay on the first; then the other way round.
    expect((await continueAll(onFirst)).flat()).toEqual(Array(6).fill(credentials.first));
    await prefer("first");
    expect((await continueAll(onSecond)).flat()).toEqual(Array(6).fill(credentials.second));
    await stack.admin.accounts.updateAccount({ id: accountOf("second").id, priority: 50 });
    await stack.admin.accounts.updateAccount({ id: accountOf("first").id, priority: 50 });
  });
});

describe("a ChatGPT account", () => {
  it("stores the Codex backend's rate-limit windows and shows them through the admin API", async () => {
    const account = accountOf("chatgpt");
    const client = await createClientKey(stack, "windows", account.id);
    const mockAccount = stack.mock.accounts[0];
    if (!mockAccount) throw new Error("mock account missing");
    stack.mock.setRateLimits(mockAccount.accountId, {
      primary: { usedPercent: 42, windowMinutes: 300, resetAfterSeconds: 3_600 },
      secondary: { usedPercent: 7, windowMinutes: 10_080, resetAfterSeconds: 86_400 },
    });
    const res = await fetch(`${stack.relayUrl}/openai/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${client.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-5.1-codex", instructions: "Be brief.", input: "hi", stream: true, store: false }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("response.completed");

    const windows = await pollUntil(
      async () => (await stack.admin.accounts.getAccount({ id: account.id })).account?.windows ?? [],
      (w) => w.length >= 2,
    );
    const byName = new Map(windows.map((w) => [w.name, w]));
    expect(byName.get("primary")?.utilization).toBeCloseTo(0.42, 5);
    expect(byName.get("primary")?.windowMinutes).toBe(300);
    expect(byName.get("secondary")?.utilization).toBeCloseTo(0.07, 5);
    expect(byName.get("secondary")?.windowMinutes).toBe(10_080);
    const resetsAt = Number(byName.get("primary")?.resetsAt?.seconds ?? 0n) * 1000;
    expect(Math.abs(resetsAt - (Date.now() + 3_600_000))).toBeLessThan(60_000);
  });
});

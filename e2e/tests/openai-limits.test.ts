/**
 * Concurrency limits on the OpenAI Responses front door, through the built relay and control plane:
 * an OpenAI API-key account with max_concurrent_tasks 4 and sixteen streams at once that the mock
 * upstream stalls. Exactly four are admitted; the rest are refused in OpenAI's error shape. When
 * the four clients hang up, their slots come back within 1.5 s whatever the (still silent)
 * upstream does, and the cut-short streams are still counted.
 *
 * The pool also holds a Claude account without a limit: an OpenAI request must never be leased to
 * it, so it must not lift the ceiling of four.
 */
import { AccountType } from "@claude-relay/proto/admin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClientKey, keyUsageToday, pollUntil } from "./support/gemini-stack.js";
import { createOpenAiApiAccount, type OpenAiAccountsStack, startOpenAiAccountsStack } from "./support/openai-accounts-stack.js";

const MODEL = "gpt-4.1";
const LIMIT = 4;
const STREAMS = 16;
const SLOTS_BACK_WITHIN_MS = 1_500;

let stack: OpenAiAccountsStack;
let accountId: string;
let burstKey: { id: string; key: string };
let probeKey: { id: string; key: string };

beforeAll(async () => {
  stack = await startOpenAiAccountsStack();
  accountId = (await createOpenAiApiAccount(stack, "openai-limited", { maxConcurrentTasks: LIMIT })).id;
  // Nothing listens on port 9 (discard): an OpenAI request wrongly leased here could not be served.
  await stack.admin.accounts.createAccount({ name: "claude-unlimited", type: AccountType.CLAUDE_CONSOLE, baseUrl: "http://127.0.0.1:9", apiKey: "sk-ant-e2e-never-used", maxConcurrentTasks: 0 });
  burstKey = await createClientKey(stack, "burst");
  probeKey = await createClientKey(stack, "probe");
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

function body(text: string, stream: boolean): string {
  return JSON.stringify({ model: MODEL, input: text, stream });
}

interface OpenedStream {
  status: number;
  contentType: string | null;
  /** The refusal's body, or the events read so far. */
  text: string;
  hangUp(): void;
}

/** Starts a stream; for a 200, reads until `events` SSE events have arrived, then keeps it open. */
async function openStream(key: string, text: string, events: number): Promise<OpenedStream> {
  const controller = new AbortController();
  const res = await fetch(`${stack.relayUrl}/openai/v1/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body(text, true),
    signal: controller.signal,
  });
  const contentType = res.headers.get("content-type");
  if (res.status !== 200 || !res.body) return { status: res.status, contentType, text: await res.text(), hangUp: () => {} };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let read = "";
  while ((read.match(/\n\n/g)?.length ?? 0) < events) {
    const chunk = await reader.read();
    if (chunk.done) break;
    read += decoder.decode(chunk.value, { stream: true });
  }
  return { status: 200, contentType, text: read, hangUp: () => controller.abort() };
}

/** One non-streaming request on the probe key; its status. */
async function probe(i: number): Promise<number> {
  const res = await fetch(`${stack.relayUrl}/openai/v1/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${probeKey.key}`, "content-type": "application/json" },
    body: body(`probe ${i}`, false),
  });
  await res.arrayBuffer();
  return res.status;
}

describe("an OpenAI account with max_concurrent_tasks 4", () => {
  it("admits exactly 4 of 16 stalled streams, refuses the rest in OpenAI's shape, frees the slots on hang-up, and counts the cut-short streams", async () => {
    const from = stack.mock.requests.length;
    stack.mock.setDefault({ kind: "stall", afterEvents: 2 });
    const opened = await Promise.all(Array.from({ length: STREAMS }, (_, i) => openStream(burstKey.key, `stream ${i}: grüße 世界`, 2)));
    const admitted = opened.filter((s) => s.status === 200);
    const refused = opened.filter((s) => s.status !== 200);

    expect(admitted).toHaveLength(LIMIT);
    expect(refused).toHaveLength(STREAMS - LIMIT);
    for (const stream of admitted) expect(stream.text).toMatch(/^event: response\.created\ndata: \{/);
    for (const refusal of refused) {
      expect(refusal.status).toBe(503);
      expect(refusal.contentType).toMatch(/^application\/json/);
      const parsed = JSON.parse(refusal.text) as { error: { message: unknown; type: string; code: unknown } };
      expect(Object.keys(parsed)).toEqual(["error"]);
      expect(parsed.error.type).toBe("service_unavailable_error");
      expect(typeof parsed.error.message).toBe("string");
    }
    const upstream = stack.mock.requests.slice(from).filter((r) => r.operation === "responses");
    expect(upstream).toHaveLength(LIMIT);
    expect((await stack.admin.accounts.getAccount({ id: accountId })).account?.activeLeases).toBe(LIMIT);

    // The clients hang up while the upstream stays silent; four requests at once must fit again soon after.
    stack.mock.setDefault({ kind: "text" });
    const hungUpAt = performance.now();
    for (const stream of admitted) stream.hangUp();
    let round = 0;
    let statuses: number[] = [];
    let allAdmittedAfterMs = Number.POSITIVE_INFINITY;
    while (performance.now() - hungUpAt < SLOTS_BACK_WITHIN_MS * 3) {
      statuses = await Promise.all(Array.from({ length: LIMIT }, (_, i) => probe(round * LIMIT + i)));
      if (statuses.every((s) => s === 200)) {
        allAdmittedAfterMs = performance.now() - hungUpAt;
        break;
      }
      round++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect(allAdmittedAfterMs).toBeLessThan(SLOTS_BACK_WITHIN_MS);
    const afterProbes = await pollUntil(async () => (await stack.admin.accounts.getAccount({ id: accountId })).account?.activeLeases, (n) => n === 0, 2_000);
    expect(afterProbes).toBe(0);

    // The four cut-short streams are counted as requests of the burst key.
    const burst = await pollUntil(
      () => keyUsageToday(stack, burstKey.id),
      (u) => u.requests === BigInt(LIMIT),
    );
    expect(burst.requests).toBe(BigInt(LIMIT));
  }, 60_000);
});

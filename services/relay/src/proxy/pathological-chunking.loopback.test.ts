import { OutcomeKind } from "@claude-relay/proto/lease";
import type { MockReply } from "@claude-relay/testkit";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { messagesBody, type RelayHarness, startRelayHarness } from "../relay-harness.test-helper.js";

const USAGE = { input_tokens: 321, output_tokens: 654, cache_creation_input_tokens: 12, cache_read_input_tokens: 3456 };
/** Two-, three- and four-byte characters, so a random cut lands inside one almost every time. */
const TEXT = "Grüße aus Köln — 你好，世界 — 🎉🚀✨ — ".repeat(30);

let h: RelayHarness;

beforeAll(async () => {
  h = await startRelayHarness();
});

afterAll(async () => {
  await h?.close();
});

beforeEach(async () => {
  await h.fake.waitForAllReleased();
  h.mock.requests.length = 0;
  h.fake.releases.length = 0;
});

/** Streams one reply through the relay; returns the client's bytes, the upstream's bytes and the Release. */
async function relayStream(reply: MockReply) {
  h.mock.enqueue(reply);
  const res = await request(`${h.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": "sk-client-key", "content-type": "application/json" },
    body: messagesBody({ stream: true }),
    dispatcher: h.client,
  });
  const client = Buffer.from(await res.body.arrayBuffer());
  const [release] = await h.fake.waitForReleases(1, 20_000);
  return { status: res.statusCode, client, upstream: h.mock.requests[0]?.responseBody ?? Buffer.alloc(0), release };
}

function expectUsage(release: Awaited<ReturnType<typeof relayStream>>["release"]): void {
  expect(release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
  expect(release?.usage).toMatchObject({
    inputTokens: USAGE.input_tokens,
    outputTokens: USAGE.output_tokens,
    cacheCreationInputTokens: USAGE.cache_creation_input_tokens,
    cacheReadInputTokens: USAGE.cache_read_input_tokens,
  });
}

describe("pathological upstream chunking", () => {
  it("relays a stream written one byte per write exactly, and reads its usage", async () => {
    const run = await relayStream({ kind: "message", usage: USAGE, chunking: "byte", events: 4, text: "Grüße, 世界 🎉" });
    expect(run.status).toBe(200);
    expect(run.upstream.length).toBeGreaterThan(500);
    expect(run.client.equals(run.upstream)).toBe(true);
    expectUsage(run.release);
  });

  it("relays events cut at random, inside multi-byte characters, exactly, and reads their usage", async () => {
    for (let i = 0; i < 3; i++) {
      await h.fake.waitForAllReleased();
      h.fake.releases.length = 0;
      h.mock.requests.length = 0;
      const run = await relayStream({ kind: "message", usage: USAGE, chunking: "random", events: 40, text: TEXT });
      expect(run.client.equals(run.upstream)).toBe(true);
      expect(run.client.toString("utf8")).toContain("🎉🚀✨");
      expectUsage(run.release);
    }
  });

  it("relays a 1 MB event exactly, and reads the usage around it", async () => {
    const run = await relayStream({ kind: "message", usage: USAGE, events: 3, padEventBytes: 1_000_000, text: TEXT });
    expect(run.upstream.length).toBeGreaterThan(1_000_000);
    expect(run.client.equals(run.upstream)).toBe(true);
    expectUsage(run.release);
  });

  it("adds nothing to a stream with pauses when pings are off", async () => {
    const run = await relayStream({ kind: "message", usage: USAGE, events: 3, eventDelayMs: 150 });
    expect(run.client.equals(run.upstream)).toBe(true);
    expectUsage(run.release);
  });
});

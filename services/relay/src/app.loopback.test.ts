import { OutcomeKind } from "@claude-relay/proto/lease";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { messagesBody, type RelayHarness, startRelayHarness } from "./relay-harness.test-helper.js";

let h: RelayHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function startStream(harness: RelayHarness) {
  const res = await request(`${harness.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": "sk-client-key" },
    body: messagesBody({ stream: true }),
    dispatcher: harness.client,
  });
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of res.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString();
  })();
  return { status: res.statusCode, done };
}

describe("buildRelay close", () => {
  it("lets a stream in flight finish within the drain time, then closes", async () => {
    h = await startRelayHarness();
    h.mock.enqueue({ kind: "message", events: 8, eventDelayMs: 80 });
    const stream = await startStream(h);
    expect(stream.status).toBe(200);
    const closed = h.relay.close({ drainMs: 10_000 });
    const text = await stream.done;
    await closed;
    expect(text).toContain("event: message_stop");
    expect(text).not.toContain("event: error");
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
  });

  it("cuts a stream still running after the drain time with an error event, and still releases it", async () => {
    h = await startRelayHarness();
    h.mock.enqueue({ kind: "stall", afterEvents: 2 });
    const stream = await startStream(h);
    const started = Date.now();
    await h.relay.close({ drainMs: 200 });
    expect(Date.now() - started).toBeLessThan(5_000);
    const text = await stream.done;
    expect(text).toContain("event: message_start");
    expect(text).toMatch(/event: error\ndata: .*"overloaded_error"/);
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome).toMatchObject({ kind: OutcomeKind.CLIENT_ABORTED, detail: "relay shut down" });
  });

  it("stops accepting connections once closed", async () => {
    h = await startRelayHarness();
    await h.relay.close({ drainMs: 0 });
    await expect(fetch(`${h.url}/livez`)).rejects.toThrow();
  });
});

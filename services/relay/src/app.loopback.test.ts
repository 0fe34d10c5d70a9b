import { connect } from "node:net";
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

  it("answers requests that still arrive while it drains with 503, and reports not ready", async () => {
    h = await startRelayHarness();
    h.mock.enqueue({ kind: "stall", afterEvents: 1 });
    const stream = await startStream(h);
    // Keep-alive connections busy when the close begins stay open; their next requests come in while draining.
    h.mock.enqueue({ kind: "message", delayMs: 400 }, { kind: "message", delayMs: 400 });
    const body = messagesBody();
    const first = `POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: sk-a\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    const late = [
      keepAliveSequence(h.port, first, `POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: sk-b\r\ncontent-length: ${body.length}\r\n\r\n${body}`),
      keepAliveSequence(h.port, first, "GET /readyz HTTP/1.1\r\nhost: x\r\n\r\n"),
    ];
    await h.mock.waitForRequests(3);
    const closed = h.relay.close({ drainMs: 1_500 });
    const [messages, readyz] = await Promise.all(late);
    expect(messages?.first).toMatch(/^HTTP\/1\.1 200 /);
    expect(messages?.second).toMatch(/^HTTP\/1\.1 503 /);
    expect(messages?.second).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(messages?.second.slice(messages.second.indexOf("\r\n\r\n") + 4) ?? "{}").error.type).toBe("overloaded_error");
    expect(readyz?.second).toMatch(/^HTTP\/1\.1 503 /);
    expect(h.fake.acquires).toHaveLength(3);
    await closed;
    expect(await stream.done).toContain("event: error");
  });

  it("stops accepting connections once closed", async () => {
    h = await startRelayHarness();
    await h.relay.close({ drainMs: 0 });
    await expect(fetch(`${h.url}/livez`)).rejects.toThrow();
  });
});

/**
 * Sends `first` on a fresh keep-alive connection and, once its whole answer
 * (with a content-length) is in, `second` on the same connection; resolves to both answers.
 */
function keepAliveSequence(port: number, first: string, second: string): Promise<{ first: string; second: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    let firstAnswer: string | undefined;
    socket.on("data", (chunk: Buffer) => {
      // One character per byte, so lengths compare with content-length.
      answer += chunk.toString("latin1");
      if (firstAnswer !== undefined) return;
      const headEnd = answer.indexOf("\r\n\r\n");
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(answer)?.[1] ?? Number.NaN);
      if (headEnd < 0 || answer.length < headEnd + 4 + length) return;
      firstAnswer = answer.slice(0, headEnd + 4 + length);
      answer = answer.slice(firstAnswer.length);
      socket.write(second);
    });
    const done = () => resolve({ first: firstAnswer ?? answer, second: firstAnswer === undefined ? "" : answer });
    socket.on("close", done);
    socket.on("error", done);
    socket.write(first);
    setTimeout(() => socket.destroy(), 8_000).unref();
  });
}

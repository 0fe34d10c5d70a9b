import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { OutcomeKind } from "@claude-relay/proto/lease";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { messagesBody, type RelayHarness, startRelayHarness } from "../relay-harness.test-helper.js";

const PING = 'event: ping\ndata: {"type": "ping"}\n\n';
const PING_MS = 100;

/** A hand-written upstream for the silences the mock cannot make: inside an event, and inside a JSON body. */
let upstream: Server;
let upstreamUrl = "";
let script: (res: ServerResponse) => Promise<void> = async () => {};
let written = "";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let h: RelayHarness;

beforeAll(async () => {
  upstream = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => void script(res).catch(() => res.destroy()));
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  h = await startRelayHarness({
    env: { RELAY_CLIENT_PING_INTERVAL_MS: String(PING_MS) },
    accounts: (mockUrl) => [{ id: "acct-1", baseUrl: mockUrl }],
  });
});

afterAll(async () => {
  await h?.close();
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
});

beforeEach(async () => {
  await h.fake.waitForAllReleased();
  h.mock.requests.length = 0;
  h.fake.releases.length = 0;
  written = "";
});

async function post(stream = true) {
  const res = await request(`${h.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": "sk-client-key" },
    body: messagesBody({ stream }),
    dispatcher: h.client,
  });
  return { status: res.statusCode, text: await res.body.text() };
}

/** Checks that `client` is `upstream` with whole ping events inserted between its events, and returns how many. */
function insertedPings(client: string, upstreamText: string): number {
  const theirs = upstreamText.split(/(?<=\n\n)/);
  const ours = client.split(/(?<=\n\n)/);
  let next = 0;
  let pings = 0;
  for (const event of ours) {
    if (event === theirs[next]) next++;
    else if (event === PING) pings++;
    else throw new Error(`unexpected bytes in the client's stream: ${JSON.stringify(event.slice(0, 80))}`);
  }
  expect(next).toBe(theirs.length);
  return pings;
}

describe("client pings", () => {
  it("pings a client through long upstream silences between events, leaving every upstream byte in place", async () => {
    const usage = { input_tokens: 5, output_tokens: 77, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    h.mock.enqueue({ kind: "message", events: 3, eventDelayMs: 350, usage, text: "Grüße 世界" });
    const res = await post();
    expect(res.status).toBe(200);
    const upstreamText = h.mock.requests[0]?.responseBody.toString("utf8") ?? "";
    const pings = insertedPings(res.text, upstreamText);
    expect(pings).toBeGreaterThanOrEqual(3);
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
    expect(release?.usage).toMatchObject({ inputTokens: 5, outputTokens: 77 });
  });

  it("never pings inside an event the upstream left half-written", async () => {
    const head = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,';
    const tail = '"delta":{"type":"text_delta","text":"hé"}}\n\n';
    script = async (res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const send = async (text: string) => {
        written += text;
        await new Promise<void>((resolve) => res.write(text, () => resolve()));
      };
      await send('event: message_start\ndata: {"type":"message_start","message":{"model":"m","usage":{"input_tokens":1,"output_tokens":1}}}\n\n');
      await send(head);
      await sleep(600);
      await send(tail);
      await sleep(400);
      await send('event: message_stop\ndata: {"type":"message_stop"}\n\n');
      res.end();
    };
    h.fake.enqueueAcquire({ lease: { account: { id: "acct-custom", baseUrl: upstreamUrl } } });
    const res = await post();
    expect(res.text).toContain(`${head}${tail}`);
    // Only the silence after the completed event may carry pings.
    const pings = insertedPings(res.text, written);
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(res.text.indexOf(PING)).toBeGreaterThan(res.text.indexOf(tail));
  });

  it("never pings a response that is not an event stream", async () => {
    const json = JSON.stringify({ type: "message", content: [{ type: "text", text: "slow" }], usage: { input_tokens: 1, output_tokens: 1 } });
    script = async (res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(Buffer.byteLength(json)) });
      res.write(json.slice(0, 10));
      await sleep(500);
      res.end(json.slice(10));
    };
    h.fake.enqueueAcquire({ lease: { account: { id: "acct-custom", baseUrl: upstreamUrl } } });
    const res = await post(false);
    expect(res.status).toBe(200);
    expect(res.text).toBe(json);
  });
});

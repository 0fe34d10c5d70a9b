import { connect } from "node:net";
import { Readable } from "node:stream";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messagesBody, type RelayHarness, startRelayHarness } from "../relay-harness.test-helper.js";

let h: RelayHarness;

beforeAll(async () => {
  h = await startRelayHarness({ env: { RELAY_MAX_BODY_BYTES: "4096", RELAY_HEADERS_TIMEOUT_MS: "600", RELAY_REQUEST_TIMEOUT_MS: "1500" } });
});

afterAll(async () => {
  await h?.close();
});

async function call(method: string, path: string, init: { headers?: Record<string, string>; body?: string | Buffer | Readable } = {}) {
  const res = await request(`${h.url}${path}`, { method: method as "GET", headers: init.headers, body: init.body, dispatcher: h.client });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

/** Sends raw bytes on a fresh connection and returns everything the server answers before closing. */
function raw(bytes: string, { waitMs = 0 } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(h.port, "127.0.0.1");
    let answer = "";
    socket.on("connect", () => setTimeout(() => socket.write(bytes), waitMs));
    socket.on("data", (chunk) => {
      answer += String(chunk);
    });
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
    setTimeout(() => socket.destroy(), 8_000).unref();
  });
}

function expectAnthropicError(text: string, type: string): Record<string, unknown> {
  const body = JSON.parse(text) as { type: string; error: { type: string; message: string }; request_id: string };
  expect(body.type).toBe("error");
  expect(body.error.type).toBe(type);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.request_id).toMatch(/^req_/);
  return body;
}

describe("probes", () => {
  it("answers HEAD / and GET / without a key and without asking the control plane", async () => {
    const acquires = h.fake.acquires.length;
    const head = await call("HEAD", "/");
    const get = await call("GET", "/");
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
    expect(get.status).toBe(200);
    expect(get.text.length).toBeGreaterThan(0);
    expect(get.text.length).toBeLessThan(16);
    expect(h.fake.acquires.length).toBe(acquires);
  });

  it("answers HEAD /api/hello, the probe Claude Code sends", async () => {
    expect((await call("HEAD", "/api/hello")).status).toBe(200);
  });

  it("reports live at once and ready once the control plane is connected", async () => {
    expect((await call("GET", "/livez")).status).toBe(200);
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await call("GET", "/readyz")).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(200);
  });

  it("serves its metrics in the Prometheus format on the operator port, with the probes", async () => {
    await call("POST", "/v1/messages", { headers: { "x-api-key": "sk-metrics" }, body: messagesBody() });
    const res = await request(`${h.metricsUrl}/metrics`, { dispatcher: h.client });
    const text = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(text).toContain('relay_requests_total{route="messages",status="200",platform="claude",front_door="anthropic",service="relay"}');
    expect(text).toContain("relay_active_streams");
    expect(text).toContain("relay_upstream_ttfb_seconds_bucket");
    expect(text).toContain("relay_request_duration_seconds_bucket");
    expect(text).toContain('relay_upstream_attempts_total{account="acct-1"');
    for (const probe of ["/livez", "/readyz"]) expect((await request(`${h.metricsUrl}${probe}`, { dispatcher: h.client })).statusCode).toBe(200);
  });

  it("answers /metrics on the client port as the unknown path it is there", async () => {
    const metrics = await call("GET", "/metrics");
    const unknown = await call("GET", "/no-such-path");
    expect(metrics.status).toBe(unknown.status);
    expect(metrics.headers["content-type"]).toBe(unknown.headers["content-type"]);
    const type = (JSON.parse(unknown.text) as { error: { type: string } }).error.type;
    expect(type).toBe("not_found_error");
    const body = expectAnthropicError(metrics.text, type);
    expect(body).toMatchObject({ error: { message: expect.not.stringMatching(/relay_|account/) } });
    expect(metrics.text).not.toContain("acct-");
  });
});

describe("requests the relay answers itself", () => {
  it("answers an unknown route with 404 not_found_error in the Anthropic shape", async () => {
    const res = await call("GET", "/v1/complete");
    expect(res.status).toBe(404);
    expect(res.headers["content-type"]).toBe("application/json");
    const body = expectAnthropicError(res.text, "not_found_error");
    expect(res.headers["request-id"]).toBe(body.request_id);
    expect((await call("GET", "/v1/messages")).status).toBe(404);
  });

  it("refuses a request without a key with 401 and never calls Acquire", async () => {
    const acquires = h.fake.acquires.length;
    const res = await call("POST", "/v1/messages", { headers: { "content-type": "application/json" }, body: messagesBody() });
    expect(res.status).toBe(401);
    expectAnthropicError(res.text, "authentication_error");
    expect(h.fake.acquires.length).toBe(acquires);
  });

  it("refuses bad JSON, a missing model and missing messages with 400", async () => {
    const acquires = h.fake.acquires.length;
    const headers = { "x-api-key": "sk-client" };
    const badJson = await call("POST", "/v1/messages", { headers, body: "{\"model\": " });
    expect(badJson.status).toBe(400);
    expectAnthropicError(badJson.text, "invalid_request_error");
    const noModel = await call("POST", "/v1/messages", { headers, body: JSON.stringify({ messages: [] }) });
    expect(noModel.status).toBe(400);
    expect(expectAnthropicError(noModel.text, "invalid_request_error").error).toMatchObject({ message: expect.stringContaining("model") });
    const noMessages = await call("POST", "/v1/messages", { headers, body: JSON.stringify({ model: "claude-x" }) });
    expect(noMessages.status).toBe(400);
    expect(h.fake.acquires.length).toBe(acquires);
  });

  it("refuses a body over the limit with 413, which the client reads in full", async () => {
    const big = Buffer.alloc(1024 * 1024, "a");
    const declared = await call("POST", "/v1/messages", { headers: { "x-api-key": "sk-client" }, body: big });
    expect(declared.status).toBe(413);
    expectAnthropicError(declared.text, "request_too_large");
    async function* chunks() {
      for (let i = 0; i < 64; i++) yield Buffer.alloc(16 * 1024, "b");
    }
    const chunked = await call("POST", "/v1/messages", { headers: { "x-api-key": "sk-client" }, body: Readable.from(chunks()) });
    expect(chunked.status).toBe(413);
    expectAnthropicError(chunked.text, "request_too_large");
  });

  it("answers oversized headers with 431 in the Anthropic shape", async () => {
    const answer = await raw(`GET / HTTP/1.1\r\nhost: x\r\nx-big: ${"a".repeat(64 * 1024)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer).toMatch(/request-id: req_/);
    expectAnthropicError(answer.slice(answer.indexOf("\r\n\r\n") + 4), "invalid_request_error");
  });

  it("answers a malformed request with 400 in the Anthropic shape", async () => {
    const answer = await raw("NOT HTTP AT ALL\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expectAnthropicError(answer.slice(answer.indexOf("\r\n\r\n") + 4), "invalid_request_error");
  });

  it("cuts off a client that sends its headers too slowly with 408", async () => {
    const answer = await raw("POST /v1/messages HTTP/1.1\r\nhost: x\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expectAnthropicError(answer.slice(answer.indexOf("\r\n\r\n") + 4), "invalid_request_error");
  });
});

describe("timeouts", () => {
  it("bounds only the reading of a request, never a response that streams longer", async () => {
    h.mock.enqueue({ kind: "message", events: 10, eventDelayMs: 250 });
    const started = Date.now();
    const res = await call("POST", "/v1/messages", { headers: { "x-api-key": "sk-client" }, body: messagesBody({ stream: true }) });
    expect(Date.now() - started).toBeGreaterThan(1_500);
    expect(res.status).toBe(200);
    expect(res.text).toContain("event: message_stop");
  });
});

describe("with the control plane down", () => {
  let down: RelayHarness;
  beforeAll(async () => {
    down = await startRelayHarness({ controlPlaneDown: true });
  });
  afterAll(async () => {
    await down?.close();
  });

  it("reports not ready and answers requests with 503 overloaded_error", async () => {
    const ready = await request(`${down.url}/readyz`, { dispatcher: down.client });
    await ready.body.dump();
    expect(ready.statusCode).toBe(503);
    const res = await request(`${down.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "sk-client" },
      body: messagesBody(),
      dispatcher: down.client,
    });
    expect(res.statusCode).toBe(503);
    expectAnthropicError(await res.body.text(), "overloaded_error");
    expect(down.mock.requests).toHaveLength(0);
  });
});

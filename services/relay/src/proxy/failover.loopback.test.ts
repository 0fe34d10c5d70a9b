import { request as httpRequest } from "node:http";
import { status as grpcStatus } from "@grpc/grpc-js";
import { AccountSignal, OutcomeKind, RefusalReason } from "@claude-relay/proto/lease";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { messagesBody, type RelayHarness, startRelayHarness } from "../relay-harness.test-helper.js";

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
  h.fake.acquires.length = 0;
  h.fake.releases.length = 0;
});

async function post(body = messagesBody()) {
  const res = await request(`${h.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": "sk-client-key" },
    body,
    dispatcher: h.client,
  });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, bytes, json: () => JSON.parse(bytes.toString()) as Record<string, any> };
}

async function metric(name: string): Promise<number> {
  const res = await request(`${h.metricsUrl}/metrics`, { dispatcher: h.client });
  const text = await res.body.text();
  const line = text.split("\n").find((l) => l.startsWith(name));
  return line ? Number(line.split(" ").pop()) : 0;
}

describe("refusals", () => {
  it.each([
    [RefusalReason.KEY_INVALID, 401, "authentication_error", undefined],
    [RefusalReason.NOT_ALLOWED, 403, "permission_error", undefined],
    [RefusalReason.KEY_LIMIT, 429, "rate_limit_error", "3"],
    [RefusalReason.NO_ACCOUNT, 529, "overloaded_error", "3"],
  ])("answers refusal %s with %s %s", async (reason, status, type, retryAfter) => {
    h.fake.enqueueAcquire({ refusal: { reason, message: "refused for a test", retryAfterMs: 2_500 } });
    const res = await post();
    expect(res.status).toBe(status);
    expect(res.json()).toMatchObject({ type: "error", error: { type, message: "refused for a test" } });
    expect(res.json().request_id).toBe(res.headers["request-id"]);
    expect(res.headers["retry-after"]).toBe(retryAfter);
    expect(h.mock.requests).toHaveLength(0);
  });

  it("answers 503 when Acquire fails as unavailable, 500 when it fails otherwise", async () => {
    // An Acquire refused as unavailable (a draining replica) is tried once more before the relay gives up.
    h.fake.enqueueAcquire({ error: grpcStatus.UNAVAILABLE }, { error: grpcStatus.UNAVAILABLE }, { error: grpcStatus.INTERNAL });
    const acquiresBefore = h.fake.acquires.length;
    const unavailable = await post();
    expect(h.fake.acquires.length - acquiresBefore).toBe(2);
    expect(unavailable.status).toBe(503);
    expect(unavailable.json().error.type).toBe("overloaded_error");
    const internal = await post();
    expect(internal.status).toBe(500);
    expect(internal.json().error).toEqual({ type: "api_error", message: "Internal server error." });
  });
});

describe("failover before the first byte", () => {
  it("retries a 529 on another account, excluding the first, and releases both leases", async () => {
    const before = await metric("relay_failovers_total");
    h.mock.enqueue({ kind: "error", status: 529 }, { kind: "message", text: "from the second account" });
    const res = await post();
    expect(res.status).toBe(200);
    expect(res.json().content[0].text).toBe("from the second account");
    expect(h.fake.acquires.map((a) => a.excludeAccounts)).toEqual([[], ["acct-1"]]);
    expect(h.mock.requests.map((r) => r.headers["x-api-key"])).toEqual(["sk-ant-account-acct-1", "sk-ant-account-acct-2"]);
    const releases = await h.fake.waitForReleases(2);
    const first = releases.find((r) => r.leaseId === "lease-1" || r.outcome?.status === 529);
    expect(first?.outcome).toMatchObject({ kind: OutcomeKind.UPSTREAM_ERROR, status: 529 });
    expect(releases.some((r) => r.outcome?.kind === OutcomeKind.SUCCESS)).toBe(true);
    expect(await metric("relay_failovers_total")).toBe(before + 1);
  });

  it("takes a request that met a disabled organisation to another account, and reports the ban", async () => {
    h.mock.enqueue({ kind: "error", status: 403, message: "This organization has been disabled." }, { kind: "message", text: "from the second account" });
    const res = await post();
    expect(res.status).toBe(200);
    expect(res.json().content[0].text).toBe("from the second account");
    // The client never sees the pool account's 403.
    expect(res.bytes.toString()).not.toContain("disabled");
    const releases = await h.fake.waitForReleases(2);
    const banned = releases.find((r) => r.outcome?.status === 403);
    expect(banned?.outcome).toMatchObject({ kind: OutcomeKind.UPSTREAM_ERROR, signal: AccountSignal.BANNED, detail: "organization disabled" });
  });

  it("reads any other 403 from its status, as before", async () => {
    h.mock.enqueue({ kind: "error", status: 403, message: "Not allowed for this request." }, { kind: "error", status: 403, message: "Not allowed for this request." });
    const res = await post();
    expect(res.status).toBe(403);
    const releases = await h.fake.waitForReleases(2);
    expect(releases.map((r) => r.outcome?.signal ?? AccountSignal.UNSPECIFIED)).toEqual([AccountSignal.UNSPECIFIED, AccountSignal.UNSPECIFIED]);
  });

  it("passes the last attempt's upstream error through byte for byte", async () => {
    h.mock.enqueue({ kind: "error", status: 529 }, { kind: "error", status: 529, message: "second overload" });
    const res = await post();
    expect(res.status).toBe(529);
    const last = h.mock.requests[1];
    expect(res.bytes.equals(last?.responseBody ?? Buffer.alloc(0))).toBe(true);
    expect(res.headers["request-id"]).toBe(last?.headers["request-id"] ?? JSON.parse(res.bytes.toString()).request_id);
    expect(res.json().error.message).toBe("second overload");
  });

  it("passes the held error through when no other account is left", async () => {
    h.mock.enqueue({ kind: "error", status: 429, headers: { "retry-after": "17", "anthropic-ratelimit-requests-remaining": "0" } });
    h.fake.enqueueAcquire({ lease: {} }, { refusal: { reason: RefusalReason.NO_ACCOUNT } });
    const res = await post();
    expect(res.status).toBe(429);
    expect(res.headers["retry-after"]).toBe("17");
    expect(res.bytes.equals(h.mock.requests[0]?.responseBody ?? Buffer.alloc(0))).toBe(true);
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.headers).toMatchObject({ "retry-after": "17", "anthropic-ratelimit-requests-remaining": "0" });
  });

  it("retries a connection that fails before any header, and answers 502 when every attempt fails so", async () => {
    h.mock.enqueue({ kind: "disconnect" }, { kind: "message" });
    expect((await post()).status).toBe(200);
    const releases = await h.fake.waitForReleases(2);
    expect(releases.map((r) => r.outcome?.kind).sort()).toEqual([OutcomeKind.SUCCESS, OutcomeKind.CONNECTION_FAILURE].sort());
    h.mock.enqueue({ kind: "disconnect" }, { kind: "disconnect" });
    const failed = await post();
    expect(failed.status).toBe(502);
    expect(failed.json().error.type).toBe("api_error");
  });

  it("does not retry an error that is the request's own fault", async () => {
    h.mock.enqueue({ kind: "error", status: 400, message: "max_tokens: too large" });
    const res = await post();
    expect(res.status).toBe(400);
    expect(res.bytes.equals(h.mock.requests[0]?.responseBody ?? Buffer.alloc(0))).toBe(true);
    expect(h.fake.acquires).toHaveLength(1);
  });
});

describe("after the first byte", () => {
  it("ends a stream whose upstream disconnects with an SSE error event", async () => {
    h.mock.enqueue({ kind: "disconnect", afterEvents: 3 });
    const res = await post(messagesBody({ stream: true }));
    expect(res.status).toBe(200);
    const text = res.bytes.toString();
    expect(text.startsWith("event: message_start")).toBe(true);
    expect(text).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"api_error",/);
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.STREAM_INTERRUPTED);
    expect(h.fake.acquires).toHaveLength(1);
  });

  it("releases the slot within a second of the client hanging up, while the upstream is silent", async () => {
    h.mock.enqueue({ kind: "stall", afterEvents: 2 });
    const gotFirstBytes = new Promise<() => void>((resolve, reject) => {
      const req = httpRequest(`${h.url}/v1/messages`, { method: "POST", headers: { "x-api-key": "sk-client-key", "content-type": "application/json" } }, (res) => {
        res.once("data", () => resolve(() => req.destroy()));
      });
      req.on("error", () => {});
      req.once("error", reject);
      req.end(messagesBody({ stream: true }));
    });
    const hangUp = await gotFirstBytes;
    const hungUpAt = Date.now();
    hangUp();
    const [release] = await h.fake.waitForReleases(1, 3_000);
    expect(Date.now() - hungUpAt).toBeLessThan(1_000);
    expect(release?.outcome).toMatchObject({ kind: OutcomeKind.CLIENT_ABORTED });
    expect(release?.usage?.inputTokens).toBeGreaterThan(0);
  });
});

describe("long streams", () => {
  let short: RelayHarness;
  beforeAll(async () => {
    short = await startRelayHarness({ ttlMs: 300, env: { RELAY_STREAM_IDLE_TIMEOUT_MS: "1000" } });
  });
  afterAll(async () => {
    await short?.close();
  });

  it("renews the lease while a stream outlives its TTL", async () => {
    short.mock.enqueue({ kind: "message", events: 12, eventDelayMs: 100 });
    const res = await request(`${short.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "sk-client-key" },
      body: messagesBody({ stream: true }),
      dispatcher: short.client,
    });
    const text = await res.body.text();
    expect(text).toContain("event: message_stop");
    const [release] = await short.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
    expect(short.fake.renews.length).toBeGreaterThanOrEqual(2);
    expect(short.fake.renews.every((r) => r.leaseId === release?.leaseId)).toBe(true);
  });

  it("ends a stream whose upstream goes silent with an error event and releases it", async () => {
    short.fake.releases.length = 0;
    short.mock.enqueue({ kind: "stall", afterEvents: 2 });
    const res = await request(`${short.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "sk-client-key" },
      body: messagesBody({ stream: true }),
      dispatcher: short.client,
    });
    const text = await res.body.text();
    expect(text).toContain("event: message_start");
    expect(text.endsWith("\n\n")).toBe(true);
    expect(text).toContain("event: error");
    const [release] = await short.fake.waitForReleases(1);
    expect(release?.outcome).toMatchObject({ kind: OutcomeKind.STREAM_INTERRUPTED, detail: "upstream went silent mid-response" });
  });
});

import Anthropic from "@anthropic-ai/sdk";
import { OutcomeKind } from "@claude-relay/proto/lease";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { messagesBody, type RelayHarness, startRelayHarness } from "../relay-harness.test-helper.js";

const CLIENT_KEY = "sk-relay-client-key-api";

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
  h.fake.renews.length = 0;
  h.fake.releases.length = 0;
});

async function call(method: "GET" | "POST", path: string, body?: string) {
  const res = await request(`${h.url}${path}`, {
    method,
    headers: { "x-api-key": CLIENT_KEY, "anthropic-version": "2023-06-01", ...(body ? { "content-type": "application/json" } : {}) },
    body,
    dispatcher: h.client,
  });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, bytes, json: () => JSON.parse(bytes.toString()) as Record<string, any> };
}

describe("POST /v1/messages/count_tokens", () => {
  it("counts tokens on a leased account and releases it at once, with no usage and no session", async () => {
    const body = messagesBody({ metadata: { user_id: JSON.stringify({ session_id: "s-1" }) } });
    const res = await call("POST", "/v1/messages/count_tokens", body);
    expect(res.status).toBe(200);
    const upstream = h.mock.requests[0];
    expect(upstream?.method).toBe("POST");
    expect(upstream?.path).toBe("/v1/messages/count_tokens");
    expect(upstream?.headers["x-api-key"]).toBe("sk-ant-account-acct-1");
    expect(upstream?.body.equals(Buffer.from(body))).toBe(true);
    expect(res.bytes.equals(upstream?.responseBody ?? Buffer.alloc(0))).toBe(true);
    expect(res.json().input_tokens).toBeGreaterThan(0);
    expect(h.fake.acquires[0]).toMatchObject({ model: "claude-sonnet-4-5", sessionHash: "" });
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
    expect(release?.usage).toMatchObject({ model: "claude-sonnet-4-5", inputTokens: 0, outputTokens: 0 });
    expect(h.fake.renews).toHaveLength(0);
  });

  it("refuses a body without messages with 400 and never asks the control plane", async () => {
    const res = await call("POST", "/v1/messages/count_tokens", JSON.stringify({ model: "claude-x" }));
    expect(res.status).toBe(400);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", message: "messages: Field required" });
    expect(h.fake.acquires).toHaveLength(0);
  });

  it("fails over an overloaded answer to another account", async () => {
    h.mock.enqueue({ kind: "error", status: 529 });
    const res = await call("POST", "/v1/messages/count_tokens", messagesBody());
    expect(res.status).toBe(200);
    expect(h.mock.requests.map((r) => r.headers["x-api-key"])).toEqual(["sk-ant-account-acct-1", "sk-ant-account-acct-2"]);
    expect(h.fake.acquires.map((a) => a.excludeAccounts)).toEqual([[], ["acct-1"]]);
  });
});

describe("GET /v1/models", () => {
  it("lists the models with a leased account's credential and passes the answer through", async () => {
    const res = await call("GET", "/v1/models?limit=20");
    expect(res.status).toBe(200);
    const upstream = h.mock.requests[0];
    expect(upstream?.method).toBe("GET");
    expect(upstream?.path).toBe("/v1/models?limit=20");
    expect(upstream?.headers["x-api-key"]).toBe("sk-ant-account-acct-1");
    expect(upstream?.headers["content-length"]).toBeUndefined();
    expect(res.bytes.equals(upstream?.responseBody ?? Buffer.alloc(0))).toBe(true);
    expect(res.json().data.length).toBeGreaterThan(0);
    expect(h.fake.acquires[0]).toMatchObject({ model: "", sessionHash: "" });
    const [release] = await h.fake.waitForReleases(1);
    expect(release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
  });

  it("asks for one model under /v1/models/{id} and passes the upstream's answer through as it is", async () => {
    const res = await call("GET", "/v1/models/claude-sonnet-4-5");
    expect(h.mock.requests[0]?.path).toBe("/v1/models/claude-sonnet-4-5");
    expect(res.status).toBe(h.mock.requests[0]?.status);
    expect(res.bytes.equals(h.mock.requests[0]?.responseBody ?? Buffer.alloc(0))).toBe(true);
  });

  it("refuses a request without a key with 401 and never asks the control plane", async () => {
    const res = await request(`${h.url}/v1/models`, { dispatcher: h.client });
    expect(res.statusCode).toBe(401);
    expect(((await res.body.json()) as { error: { type: string } }).error.type).toBe("authentication_error");
    expect(h.fake.acquires).toHaveLength(0);
  });
});

describe("upstream errors in the pool's metrics", () => {
  it("counts a response that breaks on an open connection as a request error of its dispatcher", async () => {
    const series = async () => {
      const res = await request(`${h.metricsUrl}/metrics`, { dispatcher: h.client });
      const text = await res.body.text();
      const line = text.split("\n").find((l) => l.startsWith(`relay_upstream_errors_total{origin="${h.mock.url}",proxy="direct",stage="request"`));
      return line === undefined ? 0 : Number(line.split(" ").pop());
    };
    const before = await series();
    h.mock.enqueue({ kind: "disconnect", afterEvents: 2 });
    const res = await call("POST", "/v1/messages", messagesBody({ stream: true }));
    expect(res.bytes.toString()).toContain("event: error");
    await h.fake.waitForReleases(1);
    expect(await series()).toBe(before + 1);
  });
});

describe("the base paths of older relays", () => {
  it.each(["/api", "/claude"])("serves %s/v1/… and calls /v1/… upstream", async (base) => {
    const streamed = await call("POST", `${base}/v1/messages?beta=true`, messagesBody({ stream: true }));
    expect(streamed.status).toBe(200);
    expect(streamed.bytes.toString()).toContain("event: message_stop");
    const counted = await call("POST", `${base}/v1/messages/count_tokens`, messagesBody());
    expect(counted.status).toBe(200);
    const listed = await call("GET", `${base}/v1/models`);
    expect(listed.status).toBe(200);
    expect(h.mock.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /v1/messages?beta=true",
      "POST /v1/messages/count_tokens",
      "GET /v1/models",
    ]);
    await h.fake.waitForReleases(3);
  });
});

describe("the official Anthropic SDK through the relay", () => {
  it("counts tokens and lists models", async () => {
    const client = new Anthropic({ baseURL: h.url, apiKey: CLIENT_KEY, maxRetries: 0 });
    const counted = await client.messages.countTokens({ model: "claude-test-model", messages: [{ role: "user", content: "hi" }] });
    expect(counted.input_tokens).toBeGreaterThan(0);
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toContain("claude-sonnet-4-5-20250929");
  });
});

/**
 * What the relay's client port may say about the pool behind it: nothing that names an account,
 * its upstream origin or its proxy. One account with a distinctive name, an upstream host that
 * only the test's proxy knows, and proxy credentials of its own serves successes and failures
 * (a refused key, bad JSON, a proxy that refuses, an upstream 529, the refusal that follows);
 * then every answer the client port gave, and a sweep of the paths it answers by itself, is
 * searched for those names, in bodies and headers. The relay's operator port must show the same
 * names in /metrics, which proves the search can find them.
 */
import { AccountType } from "@claude-relay/proto/admin";
import { type MockAnthropic, startMockAnthropic } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Core, startCore } from "./support/stack.js";
import { startTunnelProxy, type TunnelProxy } from "./support/tunnel-proxy.js";

const ACCOUNT_NAME = "ledger-acct-q7v3";
const UPSTREAM_HOST = "upstream-q7v3.invalid";
const PROXY_USER = "proxyuser-q7v3";
const PROXY_PASSWORD = "proxypass-q7v3";

/** One answer of the client port, as a client saw it. */
interface Answer {
  what: string;
  status: number;
  headers: string;
  body: string;
}

let mock: MockAnthropic;
let proxy: TunnelProxy;
let core: Core;
let accountId = "";
let clientKey = "";
const answers: Answer[] = [];

async function ask(what: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${core.relayUrl}${path}`, init);
  const answer = { what, status: res.status, headers: JSON.stringify([...res.headers]), body: await res.text() };
  answers.push(answer);
  return answer;
}

function messages(key: string, body: unknown, what: string, path = "/v1/messages"): Promise<Answer> {
  return ask(what, path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key, "anthropic-version": "2023-06-01" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

const hello = (stream = false) => ({ model: "claude-sonnet-4-5", max_tokens: 16, stream, messages: [{ role: "user", content: "hi" }] });

/** The strings that would give the pool away. */
function needles(): string[] {
  return [ACCOUNT_NAME, accountId, UPSTREAM_HOST, PROXY_USER, PROXY_PASSWORD, `127.0.0.1:${proxy.port}`, `:${mock.port}`];
}

beforeAll(async () => {
  mock = await startMockAnthropic();
  proxy = await startTunnelProxy(mock.port, PROXY_USER, PROXY_PASSWORD);
  core = await startCore();
  const { account } = await core.admin.accounts.createAccount({
    name: ACCOUNT_NAME,
    type: AccountType.CLAUDE_CONSOLE,
    baseUrl: `http://${UPSTREAM_HOST}:${mock.port}`,
    apiKey: "sk-ant-upstream-privacy-0001",
    proxyUrl: `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}`,
  });
  accountId = account?.id ?? "";
  clientKey = (await core.admin.apiKeys.createApiKey({ name: "privacy" })).plaintextKey;

  // Successes, through the proxy to the upstream host only it knows.
  expect((await messages(clientKey, hello(), "a whole answer")).status).toBe(200);
  expect((await messages(clientKey, hello(true), "a streamed answer")).status).toBe(200);
  expect((await messages(clientKey, { model: "claude-sonnet-4-5", messages: [{ role: "user", content: "hi" }] }, "count_tokens", "/v1/messages/count_tokens")).status).toBe(200);
  expect((await ask("the model list", "/v1/models", { headers: { "x-api-key": clientKey, "anthropic-version": "2023-06-01" } })).status).toBe(200);
  expect(proxy.targets.every((target) => target === `${UPSTREAM_HOST}:${mock.port}`)).toBe(true);
  expect(proxy.targets.length).toBeGreaterThan(0);

  // Failures the relay or the control plane answer.
  expect((await messages("cr_not-a-key-of-this-relay-0000000000000000000", hello(), "a refused key")).status).toBe(401);
  expect((await messages(clientKey, '{"model": ', "bad JSON")).status).toBe(400);
  expect((await messages(clientKey, { max_tokens: 16, messages: [] }, "no model")).status).toBe(400);
  mock.enqueue({ kind: "stream-error", afterEvents: 1, type: "overloaded_error" });
  expect((await messages(clientKey, hello(true), "an error event mid-stream")).status).toBe(200);
  proxy.refuse = true;
  proxy.cutTunnels();
  expect((await messages(clientKey, hello(), "a proxy that refuses the account's credentials")).status).toBeGreaterThanOrEqual(500);
  proxy.refuse = false;
  // One refused connect does not mark the pair dead (that takes repeated ones); this reaches the upstream again.
  mock.enqueue({ kind: "error", status: 529 }, { kind: "error", status: 529 });
  expect((await messages(clientKey, hello(), "an upstream 529")).status).toBeGreaterThanOrEqual(500);
  expect((await messages(clientKey, hello(), "no account left (the only one cools down)")).status).toBeGreaterThanOrEqual(500);

  // What the client port answers by itself.
  for (const path of ["/", "/api/hello", "/livez", "/readyz", "/metrics", "/metrics?format=json", "/v1/nope", "/v1beta/models/x:nope", "/v1/chat/nope", "/admin/", "/debug/pprof"]) {
    await ask(`GET ${path}`, path);
  }
  await ask("HEAD /", "/", { method: "HEAD" });
  await ask("POST /metrics", "/metrics", { method: "POST", headers: { "x-api-key": clientKey } });
}, 90_000);

afterAll(async () => {
  await core?.stop();
  await proxy?.close();
  await mock?.close();
}, 30_000);

describe("the relay's client port", () => {
  it("names no account, origin or proxy in any answer it gave, headers included", () => {
    expect(accountId.length).toBeGreaterThan(8);
    expect(answers.length).toBeGreaterThan(20);
    // Each kind of failure was answered as planned, so the search covers it.
    expect(answers.filter((a) => a.status >= 500).map((a) => a.what)).toEqual([
      "a proxy that refuses the account's credentials",
      "an upstream 529",
      "no account left (the only one cools down)",
    ]);
    const found = answers.flatMap((a) => needles().filter((n) => `${a.headers}\n${a.body}`.includes(n)).map((n) => `${a.what} (${a.status}): ${n}`));
    expect(found).toEqual([]);
  });

  it("answers /metrics as the unknown path it is there: not_found_error in the Anthropic shape", () => {
    const metrics = answers.find((a) => a.what === "GET /metrics");
    const unknown = answers.find((a) => a.what === "GET /v1/nope");
    expect(metrics?.status).toBe(unknown?.status);
    expect(metrics?.status).toBe(404);
    expect(JSON.parse(metrics?.body ?? "{}")).toMatchObject({ type: "error", error: { type: "not_found_error" } });
    expect(metrics?.body.replace(/req_[\w-]+/g, "")).toBe(unknown?.body.replace(/req_[\w-]+/g, "").replaceAll("/v1/nope", "/metrics"));
    expect(metrics?.body).not.toContain("relay_");
  });
});

describe("the relay's operator port", () => {
  it("serves the metrics that do name them, so the search above could have found them", async () => {
    const text = await (await fetch(`${core.relayMetricsUrl}/metrics`)).text();
    expect(text).toContain(`relay_upstream_attempts_total{account="${accountId}"`);
    expect(text).toContain(UPSTREAM_HOST);
    expect(text).toContain(`127.0.0.1:${proxy.port}`);
    expect(text).toMatch(/^relay_requests_total\{route="messages",status="200"[^}]*\} [1-9]/m);
    expect(text).not.toContain(PROXY_PASSWORD);
  });

  it("answers the probes too, and nothing else", async () => {
    expect((await fetch(`${core.relayMetricsUrl}/livez`)).status).toBe(200);
    expect((await fetch(`${core.relayMetricsUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${core.relayMetricsUrl}/v1/messages`, { method: "POST" })).status).toBe(404);
  });
});

describe("the control plane", () => {
  it("serves its metrics on its operator port, and /metrics on the admin port is its 404 JSON", async () => {
    const text = await (await fetch(`${core.controlPlaneMetricsUrl}/metrics`)).text();
    expect(text).toContain(accountId);
    expect(text).toMatch(/^control_plane_acquire_total\{[^}]*\} [1-9]/m);
    const admin = await fetch(`${core.adminUrl}/metrics`);
    expect(admin.status).toBe(404);
    expect(await admin.json()).toEqual({ code: "not_found", message: "no such route" });
  });
});

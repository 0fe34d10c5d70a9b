/**
 * The key gate through the real relay: every route of every front door, under
 * each of its key places, answers a refused key with the front door's 401
 * before anything about the body is looked at, and asks nothing else of the
 * control plane.
 */
import { createHash } from "node:crypto";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { messagesBody, type RelayHarness, startRelayHarness } from "../relay-harness.test-helper.js";

// Each test that changes what the relay remembers of a key uses a key of its own.
const GOOD = "sk-relay-good-key";
const REVOKED_BY_NOTICE = "sk-relay-good-key-2";
const REVOKED_UNTOLD = "sk-relay-good-key-3";
const BAD = "sk-relay-bad-key";
const BAD_COUNTED = "sk-relay-bad-key-2";
const MAX_BODY = 4096;
const hash = (key: string) => createHash("sha256").update(key).digest("hex");

type Door = "anthropic" | "gemini" | "openai";
type KeyPlace = (key: string) => { headers: Record<string, string>; query: string };

const xApiKey: KeyPlace = (key) => ({ headers: { "x-api-key": key }, query: "" });
const bearer: KeyPlace = (key) => ({ headers: { authorization: `Bearer ${key}` }, query: "" });
const googHeader: KeyPlace = (key) => ({ headers: { "x-goog-api-key": key }, query: "" });
const queryKey: KeyPlace = (key) => ({ headers: {}, query: `?key=${encodeURIComponent(key)}` });

/** Every route of every front door (and a path under each prefix that no route serves), with the front door's key places. */
const ROUTES: ReadonlyArray<{ door: Door; method: "GET" | "POST"; path: string }> = [
  ...["/v1", "/api/v1", "/claude/v1"].flatMap((base) => [
    { door: "anthropic" as const, method: "POST" as const, path: `${base}/messages` },
    { door: "anthropic" as const, method: "POST" as const, path: `${base}/messages/count_tokens` },
    { door: "anthropic" as const, method: "GET" as const, path: `${base}/models` },
    { door: "anthropic" as const, method: "GET" as const, path: `${base}/models/claude-sonnet-4-5` },
    { door: "anthropic" as const, method: "POST" as const, path: `${base}/no-such-route` },
  ]),
  ...["", "/gemini"].flatMap((base) => [
    { door: "gemini" as const, method: "POST" as const, path: `${base}/v1beta/models/gemini-2.5-pro:generateContent` },
    { door: "gemini" as const, method: "POST" as const, path: `${base}/v1beta/models/gemini-2.5-pro:streamGenerateContent` },
    { door: "gemini" as const, method: "POST" as const, path: `${base}/v1beta/models/gemini-2.5-pro:countTokens` },
    { door: "gemini" as const, method: "GET" as const, path: `${base}/v1beta/models` },
    { door: "gemini" as const, method: "GET" as const, path: `${base}/v1beta/models/gemini-2.5-pro` },
    { door: "gemini" as const, method: "POST" as const, path: `${base}/v1internal:generateContent` },
    { door: "gemini" as const, method: "POST" as const, path: `${base}/v1internal:streamGenerateContent` },
    { door: "gemini" as const, method: "POST" as const, path: `${base}/v1internal:countTokens` },
    ...["loadCodeAssist", "onboardUser", "retrieveUserQuota", "listExperiments", "recordCodeAssistMetrics"].map((name) => ({
      door: "gemini" as const,
      method: "POST" as const,
      path: `${base}/v1internal:${name}`,
    })),
    { door: "gemini" as const, method: "POST" as const, path: `${base}/v1internal:noSuchMethod` },
    { door: "gemini" as const, method: "POST" as const, path: `${base}/v1beta/no-such-route` },
  ]),
  ...["/openai/v1/chat/completions", "/v1/chat/completions", "/api/v1/chat/completions"].map((path) => ({ door: "openai" as const, method: "POST" as const, path })),
  ...["/openai/v1/models", "/api/openai/v1/models"].map((path) => ({ door: "openai" as const, method: "GET" as const, path })),
  ...["/openai/v1/responses", "/openai/responses", "/v1/responses", "/backend-api/codex/responses"].map((path) => ({ door: "openai" as const, method: "POST" as const, path })),
  { door: "openai", method: "POST", path: "/openai/v1/no-such-route" },
  { door: "openai", method: "POST", path: "/backend-api/no-such-route" },
];

const KEY_PLACES: Readonly<Record<Door, readonly KeyPlace[]>> = {
  anthropic: [xApiKey, bearer],
  gemini: [googHeader, queryKey, bearer],
  openai: [bearer, xApiKey],
};

/** Bodies that would each be refused as they are if the key were good: not JSON, over the size limit, no model, nothing. */
const BODIES: ReadonlyArray<{ name: string; body: string | undefined }> = [
  { name: "malformed JSON", body: "{not json" },
  { name: "oversized", body: JSON.stringify({ model: "claude-sonnet-4-5", pad: "x".repeat(MAX_BODY * 4) }) },
  { name: "missing model", body: "{}" },
  { name: "no body", body: undefined },
];

/** Checks that an answer is the front door's 401 for a refused key, with the control plane's message. */
function expectUnauthorized(door: Door, status: number, body: Record<string, any>): void {
  expect(status).toBe(401);
  if (door === "anthropic") expect(body).toEqual({ type: "error", error: { type: "authentication_error", message: "invalid x-api-key" }, request_id: expect.any(String) });
  if (door === "gemini") expect(body.error).toMatchObject({ code: 401, status: "UNAUTHENTICATED", message: "invalid x-api-key" });
  if (door === "openai") expect(body.error).toMatchObject({ code: "invalid_api_key", message: "invalid x-api-key" });
}

let h: RelayHarness;

async function send(method: "GET" | "POST", path: string, headers: Record<string, string>, body?: string) {
  const res = await request(`${h.url}${path}`, {
    method,
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers },
    ...(method === "POST" && body !== undefined && { body }),
    dispatcher: h.client,
  });
  const text = await res.body.text();
  return { status: res.statusCode, text, json: () => JSON.parse(text) as Record<string, any> };
}

beforeAll(async () => {
  h = await startRelayHarness({ gemini: true, openai: true, env: { RELAY_MAX_BODY_BYTES: String(MAX_BODY) } });
});

afterAll(async () => {
  await h?.close();
});

beforeEach(async () => {
  await h.fake.waitForAllReleased();
  const good = new Set([GOOD, REVOKED_BY_NOTICE, REVOKED_UNTOLD].map(hash));
  h.fake.answerCheckKey((keyHash) => (good.has(keyHash) ? { accepted: "key-good" } : { refused: "invalid x-api-key" }));
  h.fake.acquires.length = 0;
  h.fake.keyChecks.length = 0;
  h.fake.listModelsCalls.length = 0;
  h.mock.requests.length = 0;
});

describe("the key gate", () => {
  const cases = ROUTES.flatMap((route) =>
    KEY_PLACES[route.door].flatMap((place, i) =>
      (route.method === "GET" ? BODIES.slice(-1) : BODIES).map((body) => ({ ...route, place, placeName: `key place ${i + 1}`, body })),
    ),
  );

  it.each(cases)("answers a refused key on $method $path ($placeName, $body.name) with the front door's 401 before reading the body", async ({ door, method, path, place, body }) => {
    const { headers, query } = place(BAD);
    const res = await send(method, `${path}${query}`, headers, body.body);
    expectUnauthorized(door, res.status, res.json());
    expect(h.fake.acquires).toHaveLength(0);
    expect(h.fake.listModelsCalls).toHaveLength(0);
    expect(h.mock.requests).toHaveLength(0);
  });

  it("asks the control plane once for a bad key however many requests carry it", async () => {
    for (const route of ROUTES) {
      const { headers, query } = KEY_PLACES[route.door][0]!(BAD_COUNTED);
      expect((await send(route.method, `${route.path}${query}`, headers, "{not json")).status).toBe(401);
    }
    expect(h.fake.keyChecks.map((c) => c.keyHash)).toEqual([hash(BAD_COUNTED)]);
  });

  it("checks the body of a good key as before, and serves it", async () => {
    const malformed = await send("POST", "/v1/messages", { "x-api-key": GOOD }, "{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.json().error.type).toBe("invalid_request_error");
    expect((await send("POST", "/v1/messages", { "x-api-key": GOOD }, "x".repeat(MAX_BODY + 1))).status).toBe(413);
    expect((await send("POST", "/v1/no-such-route", { "x-api-key": GOOD }, "{}")).status).toBe(404);
    const ok = await send("POST", "/v1/messages", { "x-api-key": GOOD }, messagesBody());
    expect(ok.status).toBe(200);
    expect(h.fake.acquires).toHaveLength(1);
    expect(h.fake.keyChecks.map((c) => c.keyHash)).toEqual([hash(GOOD)]);
    // The key's id is on the log line of a request that never reached Acquire, too.
    expect(h.logs.find((line) => line.msg === "request" && line.status === 404)).toBeUndefined();
    expect(h.logs.filter((line) => line.msg === "request" && line.status === 400).at(-1)).toMatchObject({ keyId: "key-good" });
  });

  it.each([
    ["anthropic", "POST", "/v1/messages", 401, "authentication_error"],
    ["gemini", "POST", "/v1beta/models/gemini-2.5-pro:generateContent", 401, "UNAUTHENTICATED"],
    ["gemini", "POST", "/v1internal:loadCodeAssist", 401, "UNAUTHENTICATED"],
    ["openai", "POST", "/openai/v1/chat/completions", 401, "invalid_api_key"],
    ["openai", "GET", "/openai/v1/models", 401, "invalid_api_key"],
    ["openai", "POST", "/backend-api/codex/responses", 401, "invalid_api_key"],
    ["anthropic", "POST", "/v1/no-such-route", 404, "not_found_error"],
    ["gemini", "POST", "/v1beta/no-such-route", 404, "NOT_FOUND"],
  ] as const)("answers a %s request to %s %s without a key as before (%i)", async (_door, method, path, status, type) => {
    const res = await send(method, path, {}, "{not json");
    expect(res.status).toBe(status);
    expect(res.text).toContain(type);
    expect(h.fake.keyChecks).toHaveLength(0);
  });

  it("refuses a key at once when the control plane says keys changed", async () => {
    expect((await send("POST", "/v1/messages", { "x-api-key": REVOKED_BY_NOTICE }, messagesBody())).status).toBe(200);
    h.fake.answerCheckKey(() => ({ refused: "this API key has been revoked" }));
    h.fake.sendKeysChanged();
    await vi.waitFor(async () => expect((await send("POST", "/v1/messages", { "x-api-key": REVOKED_BY_NOTICE }, "{not json")).status).toBe(401), { timeout: 2_000 });
    expect(h.fake.acquires).toHaveLength(1);
  });

  it("asks again about a key Acquire refused as invalid", async () => {
    expect((await send("GET", "/v1/models", { "x-api-key": REVOKED_UNTOLD })).status).toBe(200);
    // Revoked, but the relay was not told: its verdict still says accepted, so Acquire refuses it.
    h.fake.answerCheckKey(() => ({ refused: "this API key has been revoked" }));
    h.fake.enqueueAcquire({ refusal: { reason: 1, message: "this API key has been revoked" } });
    const first = await send("POST", "/v1/messages", { "x-api-key": REVOKED_UNTOLD }, messagesBody());
    expect(first.status).toBe(401);
    const second = await send("POST", "/v1/messages", { "x-api-key": REVOKED_UNTOLD }, "{not json");
    expect(second.status).toBe(401);
    expect(second.json().error.message).toBe("this API key has been revoked");
    expect(h.fake.acquires).toHaveLength(2);
    expect(h.fake.keyChecks).toHaveLength(2);
  });
});

describe("the key gate without a verdict", () => {
  it("leaves keys to Acquire when the control plane does not answer CheckKey, asking at most once per stream", async () => {
    const old = await startRelayHarness();
    try {
      for (let i = 0; i < 20; i++) {
        const res = await request(`${old.url}/v1/messages`, { method: "POST", headers: { "x-api-key": BAD }, body: "{not json", dispatcher: old.client });
        await res.body.text();
        expect(res.statusCode).toBe(400);
      }
      expect(old.fake.keyChecks.length).toBeGreaterThan(0);
      expect(old.fake.keyChecks.length).toBeLessThanOrEqual(4);
    } finally {
      await old.close();
    }
  });

  it("reads the body and lets Acquire decide when the control plane is unreachable", async () => {
    const down = await startRelayHarness({ controlPlaneDown: true });
    try {
      const malformed = await request(`${down.url}/v1/messages`, { method: "POST", headers: { "x-api-key": BAD }, body: "{not json", dispatcher: down.client });
      expect(malformed.statusCode).toBe(400);
      await malformed.body.text();
      const valid = await request(`${down.url}/v1/messages`, { method: "POST", headers: { "x-api-key": BAD }, body: messagesBody(), dispatcher: down.client });
      expect(valid.statusCode).toBe(503);
      await valid.body.text();
    } finally {
      await down.close();
    }
  });
});

/**
 * Authentication before anything else, on the built processes and our own
 * redis-server: 10,000 requests carrying a few wrong keys (with bodies that
 * would each be refused as invalid) are all answered 401 by the relay, and
 * Redis sees about one command per distinct key for the whole flood, because
 * the relay keeps its verdicts and the control plane answers CheckKey from its
 * cache. A valid key still works, and a revoked one is refused at once.
 *
 * Redis commands are counted on a MONITOR connection of redis-cli to the
 * test's own server (lines that name one of the wrong keys' hashes), and in
 * total with INFO commandstats around the flood.
 */
import { spawn, execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startStack, type Stack } from "./support/stack.js";

const REQUESTS = 10_000;
const CONCURRENCY = 32;
const run = promisify(execFile);
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

/** Every command Redis runs from now on, as MONITOR prints it; stop() ends the connection. */
function monitor(port: number): { lines: string[]; ready: Promise<void>; stop(): void } {
  const child = spawn("redis-cli", ["-p", String(port), "MONITOR"], { stdio: ["ignore", "pipe", "ignore"] });
  const lines: string[] = [];
  let rest = "";
  const ready = new Promise<void>((resolve) =>
    child.stdout.on("data", (chunk: Buffer) => {
      const text = rest + chunk.toString("utf8");
      const parts = text.split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) if (line.startsWith("OK")) resolve();
      else lines.push(line);
    }),
  );
  return { lines, ready, stop: () => child.kill() };
}

/** Commands Redis has run so far, INFO's own excluded. */
async function commandsRun(port: number): Promise<number> {
  const { stdout } = await run("redis-cli", ["-p", String(port), "INFO", "commandstats"]);
  let total = 0;
  for (const match of stdout.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (match[1] !== "info") total += Number(match[2]);
  return total;
}

async function post(path: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${stack.relayUrl}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  return { status: res.status, text: await res.text() };
}

const validBody = JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] });

describe("the key gate on the built processes", () => {
  it("answers 10,000 wrong-key requests 401 while Redis sees about one command per wrong key", async () => {
    const wrongKeys = Array.from({ length: 5 }, () => `cr_${randomBytes(32).toString("base64url")}`);
    const hashes = wrongKeys.map(sha256);
    const shapes: Array<{ path: string; header: (key: string) => Record<string, string>; body: string }> = [
      { path: "/v1/messages", header: (key) => ({ "x-api-key": key }), body: "{not json" },
      { path: "/v1/messages", header: (key) => ({ authorization: `Bearer ${key}` }), body: "{}" },
      { path: "/v1beta/models/gemini-2.5-pro:generateContent", header: (key) => ({ "x-goog-api-key": key }), body: "[]" },
      { path: "/openai/v1/chat/completions", header: (key) => ({ authorization: `Bearer ${key}` }), body: '{"messages":[]}' },
      { path: "/openai/v1/responses", header: (key) => ({ authorization: `Bearer ${key}` }), body: "{not json" },
    ];
    const watch = monitor(stack.redis.port);
    await watch.ready;
    const before = await commandsRun(stack.redis.port);
    const statuses = new Map<number, number>();
    let next = 0;
    const startedAt = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          const i = next++;
          const shape = shapes[i % shapes.length]!;
          const { status } = await post(shape.path, shape.header(wrongKeys[i % wrongKeys.length]!), shape.body);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - startedAt) / 1000;
    const total = (await commandsRun(stack.redis.port)) - before;
    // MONITOR prints a command after it ran; give the last ones a moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
    watch.stop();
    const aboutWrongKeys = watch.lines.filter((line) => hashes.some((hash) => line.includes(hash)));
    console.log(
      `key gate: ${REQUESTS} wrong-key requests in ${seconds.toFixed(1)} s; Redis commands naming the wrong keys: ${aboutWrongKeys.length}; all Redis commands meanwhile: ${total}`,
    );
    expect(Object.fromEntries(statuses)).toEqual({ 401: REQUESTS });
    // One lookup per wrong key (the control plane caches the miss); a second at most if a cache entry aged out.
    expect(aboutWrongKeys.length).toBeLessThanOrEqual(2 * wrongKeys.length);
    // Whatever else ran meanwhile (background work of the control plane) is nowhere near one per request.
    expect(total).toBeLessThan(REQUESTS / 20);
  }, 180_000);

  it("serves a valid key, and refuses it at once once it is revoked", async () => {
    const created = await stack.apiKeys.createApiKey({ name: "soon revoked" });
    const key = created.plaintextKey;
    const ok = await post("/v1/messages", { "x-api-key": key, "anthropic-version": "2023-06-01" }, validBody);
    expect(ok.status).toBe(200);
    expect((await post("/v1/messages", { "x-api-key": key }, "{not json")).status).toBe(400);

    await stack.apiKeys.revokeApiKey({ id: created.apiKey!.id });
    const revoked = await post("/v1/messages", { "x-api-key": key, "anthropic-version": "2023-06-01" }, validBody);
    expect(revoked.status).toBe(401);
    expect(JSON.parse(revoked.text)).toMatchObject({ type: "error", error: { type: "authentication_error", message: "this API key has been revoked" } });
    // Refused at the gate, before the body is looked at, well within the 10 s an accepted verdict is kept.
    await vi.waitFor(async () => expect((await post("/v1/messages", { "x-api-key": key }, "{not json")).status).toBe(401), { timeout: 2_000 });
  }, 60_000);

  it("adds no Redis command for a valid key the relay and the control plane know", async () => {
    const key = stack.clientKey;
    const hash = sha256(key);
    const headers = { "x-api-key": key, "anthropic-version": "2023-06-01" };
    expect((await post("/v1/messages", headers, validBody)).status).toBe(200);
    const watch = monitor(stack.redis.port);
    await watch.ready;
    // Rejected as invalid after the gate accepted the key: the check alone ran, Acquire never did.
    for (let i = 0; i < 50; i++) expect((await post("/v1/messages", headers, "{not json")).status).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 200));
    watch.stop();
    expect(watch.lines.filter((line) => line.includes(hash))).toEqual([]);
  }, 60_000);
});

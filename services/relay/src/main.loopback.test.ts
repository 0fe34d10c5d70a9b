import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { OutcomeKind } from "@claude-relay/proto/lease";
import { freePort, type MockAnthropic, startMockAnthropic } from "@claude-relay/testkit";
import { Agent, request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type FakeLeaseServer, startFakeLeaseServer } from "./control-plane/fake-lease-server.test-helper.js";
import { messagesBody, TEST_INTERNAL_TOKEN } from "./relay-harness.test-helper.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

let mock: MockAnthropic;
let fake: FakeLeaseServer;
let client: Agent;
let relay: { process: ChildProcess; url: string; metricsUrl: string; output: () => string; exited: Promise<number | null> } | undefined;

beforeEach(async () => {
  mock = await startMockAnthropic();
  fake = await startFakeLeaseServer({ accounts: [{ id: "acct-1", baseUrl: mock.url }], token: TEST_INTERNAL_TOKEN });
  client = new Agent({ keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000 });
});

afterEach(async () => {
  if (relay && relay.process.exitCode === null) {
    relay.process.kill("SIGKILL");
    await relay.exited;
  }
  relay = undefined;
  await client.destroy().catch(() => {});
  await mock.close();
  await fake.close();
});

/** Runs the relay as its own process (TypeScript sources through tsx) and waits until it is ready. */
async function spawnRelay(env: Record<string, string>) {
  const [port, metricsPort] = [await freePort(), await freePort()];
  let output = "";
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", MAIN], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      RELAY_PORT: String(port),
      RELAY_METRICS_PORT: String(metricsPort),
      RELAY_CONTROL_PLANE_URL: fake.target,
      RELAY_INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (chunk) => (output += String(chunk)));
  child.stderr.on("data", (chunk) => (output += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  relay = { process: child, url, metricsUrl: `http://127.0.0.1:${metricsPort}`, output: () => output, exited };
  const deadline = Date.now() + 25_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`relay exited before it was ready:\n${output}`);
    if (Date.now() > deadline) throw new Error(`relay not ready in time:\n${output}`);
    const status = await request(`${url}/readyz`, { dispatcher: client }).then(
      async (res) => (await res.body.dump(), res.statusCode),
      () => 0,
    );
    if (status === 200) return relay;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts a streaming request; resolves once its first bytes arrived, with the rest of the text to come. */
async function openStream(url: string) {
  const res = await request(`${url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": "sk-client-key", "content-type": "application/json" },
    body: messagesBody({ stream: true }),
    dispatcher: client,
  });
  const chunks: Buffer[] = [];
  const firstBytes = new Promise<void>((resolve) => res.body.once("data", () => resolve()));
  const text = (async () => {
    for await (const chunk of res.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  })().catch((error: unknown) => `client error: ${String(error)}`);
  await firstBytes;
  return { status: res.statusCode, text };
}

describe("the relay process on SIGTERM", () => {
  it("lets the streams in flight finish, releases every lease and exits 0", { timeout: 60_000 }, async () => {
    const { url, metricsUrl, process: child, exited, output } = await spawnRelay({ RELAY_DRAIN_MS: "20000" });
    for (let i = 0; i < 3; i++) mock.enqueue({ kind: "message", events: 6, eventDelayMs: 150 });
    const streams = await Promise.all([openStream(url), openStream(url), openStream(url)]);
    child.kill("SIGTERM");
    // The operator port closes after the client port: the drain itself can be scraped.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const scrape = await request(`${metricsUrl}/metrics`, { dispatcher: client });
    expect(scrape.statusCode).toBe(200);
    expect(await scrape.body.text()).toMatch(/^relay_active_streams\{[^}]*\} 3$/m);
    const texts = await Promise.all(streams.map((s) => s.text));
    for (const text of texts) {
      expect(text).toContain("event: message_stop");
      expect(text).not.toContain("event: error");
    }
    expect(await exited).toBe(0);
    expect(fake.releases).toHaveLength(3);
    expect(fake.releases.every((r) => r.outcome?.kind === OutcomeKind.SUCCESS)).toBe(true);
    expect(new Set(fake.releases.map((r) => r.leaseId)).size).toBe(3);
    expect(output()).toContain('"msg":"shutting down"');
    await expect(request(`${metricsUrl}/livez`, { dispatcher: client })).rejects.toThrow();
  });

  it("cuts the streams still running at the drain deadline with an error event, releases them and exits 0", { timeout: 60_000 }, async () => {
    const { url, process: child, exited } = await spawnRelay({ RELAY_DRAIN_MS: "500" });
    mock.enqueue({ kind: "stall", afterEvents: 2 }, { kind: "stall", afterEvents: 2 });
    const streams = await Promise.all([openStream(url), openStream(url)]);
    const signalledAt = Date.now();
    child.kill("SIGTERM");
    const texts = await Promise.all(streams.map((s) => s.text));
    for (const text of texts) {
      expect(text).toContain("event: message_start");
      expect(text).toMatch(/event: error\ndata: .*"overloaded_error"/);
    }
    expect(await exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(15_000);
    expect(fake.releases).toHaveLength(2);
    for (const release of fake.releases) expect(release.outcome).toMatchObject({ kind: OutcomeKind.CLIENT_ABORTED, detail: "relay shut down" });
  });
});

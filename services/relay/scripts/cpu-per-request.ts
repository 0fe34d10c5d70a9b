/**
 * The relay's own CPU per request, next to that of a bare undici pipe measured in
 * the same run:
 * `node --conditions=source --import tsx services/relay/scripts/cpu-per-request.ts [requests] [--cpu-prof]`.
 *
 * This process holds the mock upstream and the fake lease service and drives the
 * load (non-streaming Messages requests at concurrency 16); the relay and the pipe
 * each run as their own process, and their CPU (user + system, from /proc) is read
 * around a fixed number of requests after a warm-up. With `--cpu-prof` the relay
 * writes a V8 CPU profile into the current directory when it exits.
 *
 * Run with `pipe` as the only argument it is the pipe itself (the parent spawns it).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { clientResponseHeaders, upstreamRequestHeaders } from "@claude-relay/anthropic";
import { freePort, startMockAnthropic } from "@claude-relay/testkit";
import { type Dispatcher, Pool } from "undici";
import { startFakeLeaseServer } from "../src/control-plane/fake-lease-server.test-helper.js";

const TOKEN = "cpu-script-internal-token-0123";
const CONCURRENCY = 16;
const BODY = JSON.stringify({
  model: "claude-sonnet-4-5",
  max_tokens: 64,
  metadata: { user_id: JSON.stringify({ device_id: "d", account_uuid: "", session_id: "5e55-1011" }) },
  system: [{ type: "text", text: "You are a helpful assistant. ".repeat(40) }],
  messages: [{ role: "user", content: "Say hi. ".repeat(200) }],
});

if (process.argv[2] === "pipe") await runPipe(process.argv[3] ?? "");
else await main();

async function main(): Promise<void> {
  const requests = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? 5_000);
  const profile = process.argv.includes("--cpu-prof");
  const mock = await startMockAnthropic();
  const fake = await startFakeLeaseServer({ accounts: [{ id: "acct-1", baseUrl: mock.url }], token: TOKEN });
  const here = fileURLToPath(new URL(".", import.meta.url));
  const children: ChildProcess[] = [];
  try {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const relay = spawnTs(`${here}../src/main.ts`, [], profile ? ["--cpu-prof", `--cpu-prof-dir=${process.cwd()}`] : [], {
      RELAY_PORT: String(port),
      RELAY_METRICS_PORT: String(metricsPort),
      RELAY_CONTROL_PLANE_URL: fake.target,
      RELAY_INTERNAL_TOKEN: TOKEN,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    });
    children.push(relay);
    await waitReady(`http://127.0.0.1:${port}/readyz`);
    const pipePort = await freePort();
    const pipe = spawnTs(fileURLToPath(import.meta.url), ["pipe", `${mock.url} ${pipePort}`], [], {});
    children.push(pipe);
    await waitReady(`http://127.0.0.1:${pipePort}/`);

    const results = [];
    for (const [name, child, url] of [
      ["pipe", pipe, `http://127.0.0.1:${pipePort}`],
      ["relay", relay, `http://127.0.0.1:${port}`],
    ] as const) {
      await drive(url, Math.min(1_000, requests));
      mock.requests.length = 0;
      fake.acquires.length = 0;
      fake.releases.length = 0;
      const before = cpuMs(child.pid ?? 0);
      const started = performance.now();
      await drive(url, requests);
      const wallMs = performance.now() - started;
      const cpu = cpuMs(child.pid ?? 0) - before;
      results.push({ name, usPerRequest: (cpu * 1000) / requests, requestsPerSecond: (requests * 1000) / wallMs });
    }
    for (const r of results) {
      console.log(`${r.name.padEnd(6)} ${r.usPerRequest.toFixed(0).padStart(6)} µs CPU/request  ${r.requestsPerSecond.toFixed(0).padStart(6)} req/s`);
    }
    const [bare, ours] = results;
    if (bare && ours) console.log(`relay / pipe CPU per request: ${(ours.usPerRequest / bare.usPerRequest).toFixed(2)}`);
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)))));
    await fake.close();
    await mock.close();
  }
}

function spawnTs(file: string, args: string[], nodeFlags: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--conditions=source", "--import", import.meta.resolve("tsx"), ...nodeFlags, file, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

/** User + system CPU of a process so far, in ms (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} never became ready`);
}

async function drive(origin: string, count: number): Promise<void> {
  const pool = new Pool(origin, { connections: CONCURRENCY, pipelining: 1 });
  let sent = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (sent < count) {
      sent++;
      const res = await pool.request({
        method: "POST",
        path: "/v1/messages",
        headers: { "content-type": "application/json", "x-api-key": "sk-cpu-script", "anthropic-version": "2023-06-01" },
        body: BODY,
      });
      await res.body.arrayBuffer();
      if (res.statusCode !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await pool.close();
  if (failed > 0) throw new Error(`${failed} requests to ${origin} failed`);
}

/** The bare pipe: forward every request through one undici Pool, headers filtered, nothing else. */
async function runPipe(spec: string): Promise<void> {
  const [upstream = "", port = "0"] = spec.split(" ");
  const pool = new Pool(upstream, { connections: 64, pipelining: 1 });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === "GET") return void res.end("ok");
    const headers = upstreamRequestHeaders(req.headers);
    if (req.headers["content-length"] !== undefined) headers["content-length"] = req.headers["content-length"];
    headers["x-api-key"] = "sk-ant-pipe";
    pool
      .stream({ method: req.method as Dispatcher.HttpMethod, path: req.url ?? "/", headers, body: req }, ({ statusCode, headers: answer }) => {
        res.writeHead(statusCode, clientResponseHeaders(answer));
        return res;
      })
      .catch(() => res.destroy());
  });
  server.listen(Number(port), "127.0.0.1", () => (server.address() as AddressInfo).port);
  process.once("SIGTERM", () => process.exit(0));
}

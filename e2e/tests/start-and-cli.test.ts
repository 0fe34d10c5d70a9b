import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startMockAnthropic, type MockAnthropic } from "@claude-relay/testkit";
import { repoRoot } from "./support/stack.js";

const cliBin = join(repoRoot, "cli/bin/claude-relay.js");
let dataDir: string;
let mock: MockAnthropic;
let up: ChildProcess;
let upOutput = "";
let env: NodeJS.ProcessEnv;
let relayUrl: string;

/** Runs one CLI command against the running stack. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliBin, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += String(c)));
    child.stderr.on("data", (c: Buffer) => (stderr += String(c)));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.on("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "claude-relay-up-"));
  mock = await startMockAnthropic();
  const [relayPort, httpPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
  const [relayMetricsPort, controlPlaneMetricsPort] = [await freePort(), await freePort()];
  relayUrl = `http://127.0.0.1:${relayPort}`;
  env = {
    PATH: process.env.PATH,
    HOME: dataDir,
    CLAUDE_RELAY_DATA_DIR: join(dataDir, "data"),
    RELAY_PORT: String(relayPort),
    CONTROL_PLANE_HTTP_PORT: String(httpPort),
    CONTROL_PLANE_GRPC_PORT: String(grpcPort),
    RELAY_METRICS_PORT: String(relayMetricsPort),
    CONTROL_PLANE_METRICS_PORT: String(controlPlaneMetricsPort),
    LOG_LEVEL: "warn",
  };
  up = spawn(process.execPath, [cliBin, "up"], { env, stdio: ["ignore", "pipe", "pipe"] });
  up.stdout?.on("data", (c: Buffer) => (upOutput += String(c)));
  up.stderr?.on("data", (c: Buffer) => (upOutput += String(c)));
  const deadline = Date.now() + 45_000;
  while (!upOutput.includes("claude-relay is up")) {
    if (up.exitCode !== null) throw new Error(`up exited early:\n${upOutput}`);
    if (Date.now() > deadline) throw new Error(`up did not come up:\n${upOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 60_000);

afterAll(async () => {
  if (up && up.exitCode === null) up.kill("SIGKILL");
  await mock?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("npm start (claude-relay up) and the CLI", () => {
  it("prints the relay URL, the admin URL and a generated admin password, kept 0600 outside the checkout", async () => {
    expect(upOutput).toContain(relayUrl);
    expect(upOutput).toMatch(/admin API\s+http:\/\/127\.0\.0\.1:\d+/);
    const password = (await readFile(join(dataDir, "data", "admin-password"), "utf8")).trim();
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(upOutput).toContain(password);
    expect((await stat(join(dataDir, "data", "admin-password"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, "data", "secrets.json"))).mode & 0o777).toBe(0o600);
  });

  it("prints the operator ports' /metrics URLs, which serve each service's metrics", async () => {
    const urls = [`http://127.0.0.1:${env.RELAY_METRICS_PORT}/metrics`, `http://127.0.0.1:${env.CONTROL_PLANE_METRICS_PORT}/metrics`];
    expect(upOutput).toMatch(new RegExp(`metrics\\s+${urls[0]} \\(relay\\)\\s+${urls[1]} \\(control plane\\)`));
    const [relay, controlPlane] = await Promise.all(urls.map(async (url) => (await fetch(url)).text()));
    expect(relay).toContain('service="relay"');
    expect(controlPlane).toContain('service="control-plane"');
    expect((await fetch(`${relayUrl}/metrics`)).status).toBe(404);
  });

  it("goes from nothing to a working key with two CLI commands", async () => {
    const added = await cli(["accounts", "add", "--name", "main", "--api-key", "sk-ant-from-cli", "--base-url", mock.url, "--max-concurrent", "2"]);
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/account \S+ added \(main\)/);

    const created = await cli(["keys", "create", "--name", "me", "--json"]);
    expect(created.code).toBe(0);
    const { key } = JSON.parse(created.stdout) as { key: string };
    expect(key).toMatch(/^cr_[A-Za-z0-9_-]{43,}$/);

    const res = await fetch(`${relayUrl}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { content: { text: string }[] }).content[0]?.text).toContain("Hello from the mock upstream");
    expect(mock.requests.at(-1)?.headers["x-api-key"]).toBe("sk-ant-from-cli");

    const listed = await cli(["accounts", "list"]);
    expect(listed.stdout).toMatch(/main\s+claude-console\s+50\s+0\/2/);
  });

  it("refuses bad CLI input with a clear message", async () => {
    const bad = await cli(["accounts", "add", "--name", "x", "--api-key", "k", "--max-concurrent=-1"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--max-concurrent must be a non-negative integer");
    const ambiguous = await cli(["accounts", "add", "--name", "x", "--max-concurrent", "-1"]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain("--option=value");
  });

  it("stops everything cleanly on SIGTERM", async () => {
    const redisPort = Number(/redis\s+redis:\/\/127\.0\.0\.1:(\d+)/.exec(upOutput)?.[1] ?? 0);
    const exited = new Promise<number | null>((resolve) => up.once("exit", (code) => resolve(code)));
    up.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(await portOpen(Number(new URL(relayUrl).port))).toBe(false);
    expect(await portOpen(Number(env.CONTROL_PLANE_HTTP_PORT))).toBe(false);
    expect(await portOpen(Number(env.RELAY_METRICS_PORT))).toBe(false);
    expect(await portOpen(Number(env.CONTROL_PLANE_METRICS_PORT))).toBe(false);
    expect(redisPort).toBeGreaterThan(0);
    expect(await portOpen(redisPort)).toBe(false);
  }, 30_000);
});

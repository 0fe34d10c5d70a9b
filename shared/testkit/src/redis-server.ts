/**
 * Redis for tests: our own `redis-server` on a free port, in a scratch folder,
 * killed on close; or the server named by REDIS_URL when that is set, which we
 * then never flush, stop or reconfigure (tests keep apart by random ids).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";

/** A Redis server the tests can use. */
export interface TestRedis {
  url: string;
  port: number;
  /** True when the server is ours, so a test may flush, stop or restart it. */
  owned: boolean;
  /** Stops our server (SIGKILL after a grace period) and removes its folder; no-op for REDIS_URL. */
  close(): Promise<void>;
}

export interface StartRedisOptions {
  /** Ignore REDIS_URL and always start our own server. */
  own?: boolean;
  /** Extra redis-server arguments, e.g. ["--cluster-enabled", "yes"]. */
  args?: string[];
  /** Use this port instead of a free one (to restart a server on its old port). */
  port?: number;
}

/** Thrown by startRedis when redis-server is not installed. */
export class RedisNotInstalledError extends Error {
  readonly code = "ERR_REDIS_NOT_INSTALLED";
  constructor() {
    super("redis-server not found: install it (apt-get install -y redis-server) or set REDIS_URL");
    this.name = "RedisNotInstalledError";
  }
}

export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  const external = process.env.REDIS_URL;
  if (external && !options.own) {
    const port = Number(new URL(external).port || 6379);
    return { url: external, port, owned: false, close: async () => {} };
  }
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), "claude-relay-redis-"));
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...(options.args ?? [])],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const output: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => output.push(String(chunk)));
  child.stderr?.on("data", (chunk: Buffer) => output.push(String(chunk)));
  const spawnError = new Promise<never>((_, reject) => {
    child.once("error", (err: NodeJS.ErrnoException) => reject(err.code === "ENOENT" ? new RedisNotInstalledError() : err));
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}:\n${output.join("")}`)));
  });
  spawnError.catch(() => {});
  await Promise.race([waitForPing(port, 10_000), spawnError]);
  child.removeAllListeners("exit");
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    owned: true,
    close: async () => {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}

/** Resolves once the server answers PING with PONG. */
export async function waitForPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ping(port)) return;
    if (Date.now() > deadline) throw new Error(`redis on port ${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    socket.setTimeout(500);
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += String(chunk);
      if (reply.includes("\r\n")) {
        socket.destroy();
        resolve(reply.startsWith("+PONG"));
      }
    });
    socket.on("error", () => resolve(false));
    socket.on("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * The processes a benchmark starts, and the guarantee that none outlives it: each
 * is stopped by its own pid (SIGTERM, then SIGKILL after a grace period) when the
 * group closes, and killed outright if the benchmark process exits first.
 *
 * Two kinds: the bench's own scripts (run with the same TypeScript loader as the
 * parent, speaking JSON lines on stdout, exiting when their stdin closes so they
 * die with the parent), and the built services (output to a log file, whose end
 * is shown when something fails).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readSync, fstatSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** Thrown by BenchProcess.next when the process exits or stays silent too long. */
export class BenchProcessError extends Error {
  constructor(
    readonly code: "ERR_BENCH_PROCESS_EXITED" | "ERR_BENCH_PROCESS_TIMEOUT",
    message: string,
  ) {
    super(message);
    this.name = "BenchProcessError";
  }
}

/** One started process. */
export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (null after a signal). */
  readonly exited: Promise<number | null>;
  /** The next JSON line on stdout whose `type` is `type`; rejects if the process exits or `timeoutMs` passes first. */
  next<T>(type: string, timeoutMs: number): Promise<T>;
  /** Writes one JSON line to the process's stdin (scripts only). */
  send(message: unknown): void;
  /** The end of its output, for error reports. */
  tail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** The processes of one benchmark run. */
export interface ProcessGroup {
  /** Runs a bench TypeScript file in a new node process under the parent's loader. */
  script(name: string, file: string, args?: readonly string[], env?: Record<string, string>): BenchProcess;
  /** Runs a built service entry (`node [nodeArgs] <file>`), its output going to a log file. */
  service(name: string, file: string, env: Record<string, string>, nodeArgs?: readonly string[]): BenchProcess;
  /** Adds cleanup for something started elsewhere (e.g. a redis-server); cleanups run newest first. */
  onClose(cleanup: () => Promise<void>): void;
  /** Stops every running process and runs every cleanup; safe to call twice. */
  close(): Promise<void>;
}

const TAIL_BYTES = 4_000;

/** Creates an empty group with its own scratch folder for logs. */
export async function createProcessGroup(): Promise<ProcessGroup> {
  const logDir = await mkdtemp(join(tmpdir(), "claude-relay-bench-"));
  const running = new Set<BenchProcess>();
  const children = new Set<ChildProcess>();
  const cleanups: Array<() => Promise<void>> = [];
  let closing: Promise<void> | undefined;

  // Last resort: whatever path leads to exit, no child is left behind.
  const killAll = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.on("exit", killAll);

  function track(name: string, child: ChildProcess, tail: () => string): { handle: BenchProcess; deliver: (message: { type: string }) => void } {
    children.add(child);
    const exited = new Promise<number | null>((resolve) => {
      child.once("exit", (code) => resolve(code));
      child.once("error", () => resolve(null)); // could not be spawned: there will be no exit
    });
    const tracked = createHandle(name, child, exited, tail);
    running.add(tracked.handle);
    void exited.then(() => {
      running.delete(tracked.handle);
      children.delete(child);
    });
    return tracked;
  }

  return {
    script(name, file, args = [], env = {}) {
      const child = spawn(process.execPath, [...process.execArgv, file, ...args], {
        env: { ...process.env, ...env },
        stdio: ["pipe", "pipe", "pipe"],
      });
      const ring = createRing();
      child.stderr?.on("data", (chunk: Buffer) => ring.push(String(chunk)));
      child.stdin?.on("error", () => {}); // the child may exit before reading what we wrote
      const { handle, deliver } = track(name, child, ring.text);
      if (child.stdout) readMessages(child.stdout, deliver, ring.push);
      return handle;
    },
    service(name, file, env, nodeArgs = []) {
      const logFile = join(logDir, `${name}.log`);
      const fd = openSync(logFile, "a");
      const child = spawn(process.execPath, [...nodeArgs, file], { env: { ...process.env, ...env }, stdio: ["ignore", fd, fd] });
      closeSync(fd);
      return track(name, child, () => readTail(logFile)).handle;
    },
    onClose(cleanup) {
      cleanups.push(cleanup);
    },
    close() {
      closing ??= (async () => {
        await Promise.all([...running].map((p) => p.stop()));
        for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
        await rm(logDir, { recursive: true, force: true });
        process.off("exit", killAll);
      })();
      return closing;
    },
  };
}

interface Waiter {
  type: string;
  resolve(message: unknown): void;
  reject(err: Error): void;
}

/** A process handle, and the entry for the messages its stdout carries. */
function createHandle(
  name: string,
  child: ChildProcess,
  exited: Promise<number | null>,
  tail: () => string,
): { handle: BenchProcess; deliver: (message: { type: string }) => void } {
  const queued = new Map<string, unknown[]>();
  const waiters: Waiter[] = [];
  const handle: BenchProcess = {
    name,
    pid: child.pid ?? -1,
    exited,
    next<T>(type: string, timeoutMs: number): Promise<T> {
      const ready = queued.get(type);
      if (ready && ready.length > 0) return Promise.resolve(ready.shift() as T);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(exitError(name, child, tail));
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new BenchProcessError("ERR_BENCH_PROCESS_TIMEOUT", `${name} sent no "${type}" within ${timeoutMs} ms\n${tail()}`));
        }, timeoutMs);
        const waiter: Waiter = {
          type,
          resolve: (message) => (clearTimeout(timer), resolve(message as T)),
          reject: (err) => (clearTimeout(timer), reject(err)),
        };
        waiters.push(waiter);
      });
    },
    send(message) {
      child.stdin?.write(`${JSON.stringify(message)}\n`);
    },
    tail,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  void exited.then(() => {
    for (const waiter of waiters.splice(0)) waiter.reject(exitError(name, child, tail));
  });
  const deliver = (message: { type: string }) => {
    const index = waiters.findIndex((w) => w.type === message.type);
    if (index >= 0) return waiters.splice(index, 1)[0]?.resolve(message);
    const queue = queued.get(message.type) ?? [];
    queue.push(message);
    queued.set(message.type, queue);
  };
  return { handle, deliver };
}

/** Hands JSON lines with a string `type` to `deliver`; every other line goes to `other`. */
function readMessages(stdout: NodeJS.ReadableStream, deliver: (message: { type: string }) => void, other: (text: string) => void): void {
  createInterface({ input: stdout }).on("line", (line) => {
    let message: unknown;
    try {
      // JSON has no NaN: a figure that could not be measured is sent as null and comes back as NaN.
      message = JSON.parse(line, (_key, value: unknown) => (value === null ? Number.NaN : value));
    } catch {
      message = undefined;
    }
    if (typeof message === "object" && message !== null && typeof (message as { type?: unknown }).type === "string") {
      deliver(message as { type: string });
    } else {
      other(`${line}\n`);
    }
  });
}

function exitError(name: string, child: ChildProcess, tail: () => string): BenchProcessError {
  const how = child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`;
  return new BenchProcessError("ERR_BENCH_PROCESS_EXITED", `${name} exited (${how})\n${tail()}`);
}

/** Keeps the last TAIL_BYTES characters of what it is given. */
function createRing(): { push(text: string): void; text(): string } {
  let buffer = "";
  return {
    push(text) {
      buffer = (buffer + text).slice(-TAIL_BYTES);
    },
    text: () => buffer,
  };
}

function readTail(file: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const size = fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const bytes = Buffer.alloc(length);
    readSync(fd, bytes, 0, length, size - length);
    return bytes.toString("utf8");
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Runs a bench script that prints one `{"type":"result"}` line and exits; resolves with
 * that result once the process has exited. `timeoutMs` bounds the whole run.
 */
export async function runToResult<T>(group: ProcessGroup, name: string, file: string, options: unknown, timeoutMs: number): Promise<T> {
  const child = group.script(name, file, [JSON.stringify(options)]);
  try {
    const result = await child.next<T>("result", timeoutMs);
    await Promise.race([child.exited, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    return result;
  } finally {
    await child.stop();
  }
}

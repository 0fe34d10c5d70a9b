/**
 * A supervised child process of the local stack: its output is shown with a
 * prefix (pino JSON lines are shortened to level, message and fields), and it
 * can be stopped with SIGTERM, then SIGKILL after a grace period.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

/** A running child of the local stack. */
export interface Supervised {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  stop(graceMs: number): Promise<void>;
}

const LEVELS: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

export function startChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, print: (line: string) => void): Supervised {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on("line", (line) => print(`[${name}] ${formatLine(line)}`));
  }
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
    child.once("error", (err: NodeJS.ErrnoException) => {
      print(`[${name}] ${err.code === "ENOENT" ? `${command} not found` : err.message}`);
      resolve(err.code ?? "error");
    });
  });
  return {
    name,
    child,
    exited,
    async stop(graceMs) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Shortens a pino JSON line to "level message key=value…"; other lines pass unchanged. */
export function formatLine(line: string): string {
  if (!line.startsWith("{")) return line;
  try {
    const { level, msg, time: _time, pid: _pid, hostname: _host, service: _service, version: _version, ...rest } = JSON.parse(line) as Record<
      string,
      unknown
    >;
    const fields = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
      .join(" ");
    return [LEVELS[level as number] ?? String(level), String(msg ?? ""), fields].filter(Boolean).join(" ");
  } catch {
    return line;
  }
}

/**
 * Runs the real promtool (Debian package `prometheus`). When it is missing, the error is a
 * one-line hint on how to install it.
 */
import { execFileSync } from "node:child_process";

/** The outcome of a promtool run: its combined output, and whether it exited 0. */
export interface PromtoolResult {
  ok: boolean;
  output: string;
}

const HINT = "promtool not found: apt-get install -y prometheus (or bash scripts/install-test-deps.sh)";

/** Throws the install hint unless promtool is on PATH. */
export function requirePromtool(): void {
  try {
    execFileSync("promtool", ["--version"], { stdio: "ignore" });
  } catch {
    throw new Error(HINT);
  }
}

/** Runs promtool with `args` in `cwd`; never throws for a non-zero exit. */
export function promtool(args: readonly string[], cwd: string): PromtoolResult {
  try {
    const output = execFileSync("promtool", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { ok: true, output };
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === "ENOENT") throw new Error(HINT);
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

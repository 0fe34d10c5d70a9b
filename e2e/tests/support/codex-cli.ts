/**
 * Runs the real Codex CLI (@openai/codex) headless with `codex exec`: a scratch HOME and CODEX_HOME,
 * a custom model provider whose base URL is the relay's `/openai/v1` and whose key comes from an
 * environment variable (so it speaks the Responses API over plain HTTP, never a WebSocket), analytics
 * off, no retries, stdin closed, and a hard time limit on the whole process group.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "./stack.js";

/** The environment variable the provider block reads our key from. */
export const CODEX_KEY_ENV = "CLAUDE_RELAY_API_KEY";

export interface CodexRunOptions {
  /** A directory the run's HOME and workspace are made in. */
  scratch: string;
  relayUrl: string;
  /** Our client key, handed over in CODEX_KEY_ENV. */
  key: string;
  prompt: string;
  model?: string;
  /** Killed, with everything it started, after this long; default 45 s. */
  timeoutMs?: number;
}

export interface CodexRun {
  /** The exit code; null when the time limit killed it. */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The workspace it ran in, for the files its commands wrote. */
  workspace: string;
}

/** The provider block, as `-c` overrides (the same keys a `~/.codex/config.toml` would hold). */
export function relayProviderArgs(relayUrl: string): string[] {
  const provider = [
    'name="claude-relay"',
    `base_url="${relayUrl}/openai/v1"`,
    'wire_api="responses"',
    `env_key="${CODEX_KEY_ENV}"`,
    "supports_websockets=false",
    "request_max_retries=0",
    "stream_max_retries=0",
  ].join(",");
  return ["-c", "model_provider=relay", "-c", `model_providers.relay={${provider}}`];
}

/** Runs `codex exec <prompt>` once; never rejects. */
export async function runCodex(options: CodexRunOptions): Promise<CodexRun> {
  const run = await mkdtemp(join(options.scratch, "codex-"));
  const home = join(run, "home");
  const workspace = join(run, "work");
  await mkdir(join(home, ".codex"), { recursive: true });
  await mkdir(workspace, { recursive: true });
  await writeFile(join(workspace, "README.md"), "a workspace for one codex exec run\n");
  const bin = join(repoRoot, "node_modules/@openai/codex/bin/codex.js");
  const args = [
    "exec",
    "--skip-git-repo-check",
    "--ephemeral",
    "--disable",
    "plugins",
    "-c",
    "analytics.enabled=false",
    "--dangerously-bypass-approvals-and-sandbox",
    "-m",
    options.model ?? "gpt-5.1-codex",
    ...relayProviderArgs(options.relayUrl),
    options.prompt,
  ];
  const env = { PATH: process.env.PATH ?? "", HOME: home, CODEX_HOME: join(home, ".codex"), TERM: "dumb", [CODEX_KEY_ENV]: options.key };
  // Its own process group: the launcher starts the native binary, which starts the commands it runs.
  const child = spawn(process.execPath, [bin, ...args], { cwd: workspace, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
  child.stdin.end();
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }, options.timeoutMs ?? 45_000);
  const code = await new Promise<number | null>((resolve) => {
    child.once("error", () => resolve(1));
    child.once("close", (exitCode) => resolve(exitCode));
  });
  clearTimeout(timer);
  return { code, stdout, stderr, timedOut, workspace };
}

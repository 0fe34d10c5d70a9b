/**
 * Runs the real Gemini CLI (@google/gemini-cli) headless: a scratch HOME with a settings file
 * that picks the sign-in method and turns telemetry, usage statistics and update checks off, a
 * scratch trusted workspace holding one file for the model to find, stdin closed, and a hard
 * time limit, so a CLI that retries or waits cannot hold a test for minutes.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { repoRoot } from "./stack.js";

/** The sign-in a run uses: a Gemini API key, or Google login (the Code Assist API). */
export type GeminiCliAuth = "gemini-api-key" | "oauth-personal";

export interface GeminiCliOptions {
  /** A directory the run's HOME and workspace are made in. */
  scratch: string;
  auth: GeminiCliAuth;
  /** GEMINI_API_KEY, GOOGLE_GEMINI_BASE_URL, GOOGLE_GENAI_USE_GCA, CODE_ASSIST_ENDPOINT, … */
  env: Record<string, string>;
  prompt: string;
  /** A file written into the workspace, for a tool to find. */
  workspaceFile: string;
  model?: string;
  /** Killed, with everything it started, after this long; default 45 s. */
  timeoutMs?: number;
}

export interface GeminiCliRun {
  /** The exit code; null when the time limit killed it. */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

/** Runs `gemini -m <model> --yolo -p <prompt>` once; never rejects. */
export async function runGeminiCli(options: GeminiCliOptions): Promise<GeminiCliRun> {
  const run = await mkdtemp(join(options.scratch, "run-"));
  const home = join(run, "home");
  const workspace = join(run, "work");
  await mkdir(join(home, ".gemini"), { recursive: true });
  await mkdir(workspace, { recursive: true });
  await writeFile(join(workspace, options.workspaceFile), "a file for the model to find\n");
  const settings = {
    security: { auth: { selectedType: options.auth } },
    telemetry: { enabled: false },
    general: { disableAutoUpdate: true, disableUpdateNag: true },
    privacy: { usageStatisticsEnabled: false },
  };
  await writeFile(join(home, ".gemini", "settings.json"), JSON.stringify(settings));
  const bin = join(repoRoot, "node_modules/@google/gemini-cli/bundle/gemini.js");
  const args = ["-m", options.model ?? "gemini-2.5-pro", "--yolo", "-p", options.prompt];
  const env = { PATH: process.env.PATH ?? "", HOME: home, TERM: "dumb", GEMINI_CLI_TRUST_WORKSPACE: "true", ...options.env };
  const startedAt = Date.now();
  // Its own process group: the CLI relaunches itself in a child process, and the time limit must kill both.
  const child = spawn(process.execPath, [bin, ...args], { cwd: workspace, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
  child.stdin.end();
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  let timedOut = false;
  const killGroup = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, options.timeoutMs ?? 45_000);
  const code = await new Promise<number | null>((resolve) => {
    child.once("error", () => resolve(1));
    child.once("close", (exitCode) => resolve(exitCode));
  });
  clearTimeout(timer);
  // Nothing it started may outlive the run.
  killGroup();
  return { code: timedOut ? null : code, stdout, stderr, timedOut, durationMs: Date.now() - startedAt };
}

/**
 * A build of another commit, for comparing builds in one run: the commit's tree
 * (`git archive`, so the working tree and its git state are never touched) in a
 * scratch folder outside the repository, its own `npm ci` and a build of the
 * relay and the control plane with the workspace packages they import. A folder
 * is named after its commit and reused while its build is complete, so only the
 * first run pays the few minutes this takes.
 */
import { spawn } from "node:child_process";
import { existsSync, openSync, closeSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { formatNumber } from "./report.js";
import { entryPoints } from "./services.js";

/** A finished scratch build. */
export interface ScratchBuild {
  ref: string;
  commit: string;
  /** Its root: services/relay/dist/main.js and services/control-plane/dist/main.js lie under it. */
  root: string;
  /** True when an earlier run's build was reused. */
  reused: boolean;
}

/** Where a scratch build is, or goes: under the system's temp folder unless `BENCH_BUILDS_DIR` names another. */
export function scratchDir(commit: string): string {
  return join(process.env.BENCH_BUILDS_DIR ?? tmpdir(), `claude-relay-build-${commit.slice(0, 12)}`);
}

/** Written last, once the build succeeded: a folder without it is rebuilt from scratch. */
const MARKER = ".bench-build.json";

/**
 * Makes (or reuses) a build of `ref` from the repository at `repoRoot`, printing a line per step.
 * Rejects when a step fails, with the end of that step's output.
 */
export async function prepareScratchBuild(repoRoot: string, ref: string, log: (line: string) => void = console.log): Promise<ScratchBuild> {
  const commit = (await run("git", ["-C", repoRoot, "rev-parse", "--verify", `${ref}^{commit}`], repoRoot)).trim();
  const root = scratchDir(commit);
  const rel = relative(resolve(repoRoot), resolve(root));
  if (rel === "" || !rel.startsWith("..")) throw new Error(`the scratch build folder ${root} must lie outside the repository ${repoRoot}`);
  if (isComplete(root, commit)) {
    log(`old build: reusing ${root} (${ref} = ${commit.slice(0, 12)})`);
    return { ref, commit, root, reused: true };
  }
  log(`old build: ${ref} = ${commit.slice(0, 12)} into ${root}; this takes a few minutes once, later runs reuse it`);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const logFile = join(root, ".bench-build.log");
  await step(log, "git archive", logFile, "sh", ["-c", `git -C "$0" archive --format=tar "$1" | tar -x -C "$2"`, repoRoot, commit, root], root);
  // --ignore-scripts: the services need no install script, and the ones in the lock
  // (node-pty, keytar, the CLIs the e2e tests drive) would compile or download for minutes.
  await step(log, "npm ci", logFile, "npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], root);
  // The two services and the workspace packages they import; the admin UI and the CLI are not needed.
  const turbo = ["run", "build", "--filter=@claude-relay/relay", "--filter=@claude-relay/control-plane", "--output-logs=errors-only"];
  await step(log, "build (relay, control plane)", logFile, join(root, "node_modules/.bin/turbo"), turbo, root);
  const missing = Object.values(entryPoints(root)).filter((file) => !existsSync(file));
  if (missing.length > 0) throw new Error(`the build of ${commit} has no ${missing.join(", ")}; see ${logFile}`);
  await writeFile(join(root, MARKER), JSON.stringify({ ref, commit, builtAt: new Date().toISOString() }));
  return { ref, commit, root, reused: false };
}

function isComplete(root: string, commit: string): boolean {
  try {
    const marker = JSON.parse(readFileSync(join(root, MARKER), "utf8")) as { commit?: string };
    return marker.commit === commit && Object.values(entryPoints(root)).every((file) => existsSync(file));
  } catch {
    return false;
  }
}

/** Runs one step with its output appended to `logFile`, and a line every 30 s while it runs. */
async function step(log: (line: string) => void, name: string, logFile: string, command: string, args: readonly string[], cwd: string): Promise<void> {
  const started = performance.now();
  const seconds = () => formatNumber((performance.now() - started) / 1000, 0);
  log(`old build: ${name} ...`);
  const ticker = setInterval(() => log(`old build: ${name} still running (${seconds()} s)`), 30_000);
  try {
    await run(command, args, cwd, logFile);
  } catch (err) {
    throw new Error(`old build: ${name} failed after ${seconds()} s (log: ${logFile})\n${tailOf(logFile)}`, { cause: err });
  } finally {
    clearInterval(ticker);
  }
  log(`old build: ${name} done in ${seconds()} s`);
}

/**
 * Runs a command to its end; resolves with its stdout (when there is no log file), rejects on a
 * non-zero exit. The child gets no `npm_*` variables: under `npm run`, npm_config_local_prefix
 * and its kin point at this repository, and a nested npm would act on it instead of `cwd`.
 */
function run(command: string, args: readonly string[], cwd: string, logFile?: string): Promise<string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== "INIT_CWD"));
  const fd = logFile === undefined ? undefined : openSync(logFile, "a");
  const child = spawn(command, args, { cwd, env: { ...env, TURBO_TELEMETRY_DISABLED: "1" }, stdio: ["ignore", fd ?? "pipe", fd ?? "pipe"] });
  if (fd !== undefined) closeSync(fd);
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => (out += String(chunk)));
  child.stderr?.on("data", (chunk: Buffer) => (out += String(chunk)));
  return new Promise((resolvePromise, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolvePromise(out);
      else reject(new Error(`${command} ${args.join(" ")} exited with ${signal ?? code}${out ? `\n${out.slice(-2_000)}` : ""}`));
    });
  });
}

function tailOf(file: string): string {
  try {
    return readFileSync(file, "utf8").slice(-3_000);
  } catch {
    return "";
  }
}

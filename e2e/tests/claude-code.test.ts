import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, startStack, type Stack } from "./support/stack.js";

let stack: Stack;
let home: string;

beforeAll(async () => {
  stack = await startStack();
  home = await mkdtemp(join(tmpdir(), "claude-code-home-"));
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

/** Runs Claude Code's print mode offline against the relay. */
function claude(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = join(repoRoot, "node_modules/.bin/claude");
  return new Promise((resolve) => {
    const child = execFile(
      bin,
      args,
      {
        cwd: home,
        timeout: 90_000,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: home,
          ANTHROPIC_BASE_URL: stack.relayUrl,
          DISABLE_TELEMETRY: "1",
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
          DISABLE_AUTOUPDATER: "1",
          DISABLE_ERROR_REPORTING: "1",
          ...env,
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

describe("Claude Code through the relay", () => {
  it("runs -p 'say hi' and prints the upstream's answer", async () => {
    const before = stack.mock.requests.length;
    const result = await claude(["-p", "say hi", "--output-format", "json"], { ANTHROPIC_API_KEY: stack.clientKey });
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as { is_error: boolean; result: string };
    expect(output.is_error).toBe(false);
    expect(output.result).toContain("Hello from the mock upstream");

    const seen = stack.mock.requests.slice(before).filter((r) => r.path.startsWith("/v1/messages"));
    expect(seen.length).toBeGreaterThan(0);
    for (const request of seen) {
      expect(request.headers["x-api-key"]).toBe(stack.upstreamKey);
      expect(JSON.stringify(request.headers)).not.toContain(stack.clientKey);
      expect(String(request.headers["user-agent"])).toMatch(/claude-cli/);
      expect(request.headers["anthropic-beta"]).toBeTruthy();
    }
  }, 120_000);
});

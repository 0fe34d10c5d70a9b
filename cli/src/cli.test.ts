import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { intOption } from "./accounts-command.js";
import { formatLine } from "./child-process.js";
import { loadLocalSecrets, resolveDataDir } from "./data-dir.js";
import { table } from "./format.js";
import { main, splitArgv } from "./main.js";

describe("resolveDataDir", () => {
  it("prefers CLAUDE_RELAY_DATA_DIR, then XDG_DATA_HOME, never the working directory", () => {
    expect(resolveDataDir({ CLAUDE_RELAY_DATA_DIR: "/x/y" })).toBe("/x/y");
    expect(resolveDataDir({ XDG_DATA_HOME: "/xdg" })).toBe("/xdg/claude-relay");
    expect(resolveDataDir({})).toMatch(/\.local\/share\/claude-relay$/);
  });
});

describe("loadLocalSecrets", () => {
  it("generates secrets once, 0600, and keeps them across calls", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cli-secrets-"));
    try {
      const first = await loadLocalSecrets(dir, {});
      const second = await loadLocalSecrets(dir, {});
      expect(first).toEqual(second);
      expect(first.encryptionKey).toMatch(/^[0-9a-f]{64}$/);
      expect(first.internalToken.length).toBeGreaterThanOrEqual(32);
      expect((await stat(join(dir, "secrets.json"))).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("lets the environment win without writing its values", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cli-secrets-"));
    try {
      const secrets = await loadLocalSecrets(dir, { CONTROL_PLANE_INTERNAL_TOKEN: "from-env-token-123456" });
      expect(secrets.internalToken).toBe("from-env-token-123456");
      expect(await readFile(join(dir, "secrets.json"), "utf8")).not.toContain("from-env-token-123456");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("formatLine", () => {
  it("shortens pino JSON lines and leaves others alone", () => {
    const line = JSON.stringify({ level: 30, time: 1, pid: 2, hostname: "h", service: "relay", msg: "listening", port: 8080 });
    expect(formatLine(line)).toBe("info listening port=8080");
    expect(formatLine("plain text")).toBe("plain text");
    expect(formatLine("{not json")).toBe("{not json");
  });
});

describe("table", () => {
  it("pads columns to the widest cell", () => {
    expect(table(["ID", "NAME"], [["1", "alpha"], ["22", "b"]])).toBe("ID  NAME\n1   alpha\n22  b");
  });
});

describe("intOption", () => {
  it("accepts non-negative integers and refuses the rest clearly", () => {
    expect(intOption("0", "max-concurrent")).toBe(0);
    expect(intOption(undefined, "max-concurrent")).toBeUndefined();
    expect(() => intOption("-1", "max-concurrent")).toThrow(/--max-concurrent must be a non-negative integer/);
    expect(() => intOption("1.5", "max-concurrent")).toThrow(/non-negative integer/);
  });
});

describe("splitArgv", () => {
  it("takes the global options wherever they stand", () => {
    expect(splitArgv(["keys", "list", "--url", "http://cp:8081", "--password=pw"])).toEqual({
      command: "keys",
      help: false,
      rest: ["list"],
      globals: { url: "http://cp:8081", username: undefined, password: "pw" },
    });
  });

  it("leaves a --url after `notifications` to the command (the webhook's), and takes the admin API's before it", () => {
    expect(splitArgv(["--url", "http://cp:8081", "notifications", "add", "--url", "https://hooks.slack.com/services/x", "--format", "slack", "--username", "ops"])).toEqual({
      command: "notifications",
      help: false,
      rest: ["add", "--url", "https://hooks.slack.com/services/x", "--format", "slack"],
      globals: { url: "http://cp:8081", username: "ops", password: undefined },
    });
    expect(splitArgv(["notifications", "add", "--url=https://x.example/hook", "--format", "generic"]).globals.url).toBeUndefined();
  });
});

describe("main", () => {
  it("prints usage and exits 2 without a command, and refuses unknown commands", async () => {
    const lines: string[] = [];
    expect(await main([], {}, (l) => lines.push(l))).toBe(2);
    expect(lines.join("\n")).toContain("usage: claude-relay");
    expect(await main(["frobnicate"], {}, () => {})).toBe(2);
  });

  it("documents the Gemini and OpenAI account types and the key platforms in its help", async () => {
    const lines: string[] = [];
    expect(await main(["accounts", "--help"], {}, (l) => lines.push(l))).toBe(0);
    const help = lines.join("\n");
    expect(help).toContain("--type claude-console|claude-oauth|gemini-api|gemini-oauth|openai-api|openai-oauth");
    expect(help).toContain("--credentials-file PATH");
    expect(help).toContain("--auth-json PATH");
    expect(help).toContain("--platforms claude,gemini,openai");
    expect(help).toContain("claude-relay notifications <command>");
    expect(help).toContain("add --url URL --format generic|slack|discord|feishu|dingtalk|wecom");
  });

  it("exits 2 with the reason when an account's options do not fit its type", async () => {
    const code = await main(["accounts", "add", "--name", "x", "--type", "gemini-oauth", "--url", "http://127.0.0.1:9", "--password", "x"], { CLAUDE_RELAY_DATA_DIR: tmpdir() }, () => {});
    expect(code).toBe(2);
  });

  it("says the admin API is unreachable instead of crashing", async () => {
    const code = await main(["keys", "list", "--url", "http://127.0.0.1:9", "--password", "x"], { CLAUDE_RELAY_DATA_DIR: tmpdir() }, () => {});
    expect(code).toBe(1);
  });
});

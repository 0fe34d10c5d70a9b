import { spawn } from "node:child_process";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, scalarLineLogger } from "./create-logger.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, stream };
}

describe("createLogger", () => {
  it("binds service and version", () => {
    const { lines, stream } = capture();
    createLogger({ service: "relay", version: "1.2.3", destination: stream }).info("hello");
    expect(lines[0]).toMatchObject({ service: "relay", version: "1.2.3", msg: "hello", level: 30 });
  });

  it("redacts credentials in headers and known fields", () => {
    const { lines, stream } = capture();
    const log = createLogger({ service: "relay", destination: stream });
    log.info({ headers: { "x-api-key": "sk-ant-secret", authorization: "Bearer abc", accept: "x" }, password: "pw" }, "req");
    const text = JSON.stringify(lines[0]);
    expect(text).not.toContain("sk-ant-secret");
    expect(text).not.toContain("Bearer abc");
    expect(text).not.toContain('"pw"');
    expect(lines[0]).toMatchObject({ headers: { accept: "x", "x-api-key": "[redacted]" } });
  });
});

describe("scalarLineLogger", () => {
  it("writes through the same logger, with its bindings and level, without the redaction walk", () => {
    const { lines, stream } = capture();
    const log = createLogger({ service: "relay", version: "1.2.3", level: "warn", destination: stream });
    const line = scalarLineLogger(log.child({ requestId: "req_1" }));
    line.info({ status: 200 }, "request");
    line.warn({ status: 502, token: "a scalar named like a credential" }, "request");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ service: "relay", version: "1.2.3", requestId: "req_1", status: 502, msg: "request", level: 40 });
    // Proof that the redaction is off for this logger only: the parent still censors the same field.
    expect(lines[0]?.token).toBe("a scalar named like a credential");
    log.warn({ token: "t" }, "other");
    expect(lines[1]?.token).toBe("[redacted]");
  });
});

describe("createLogger buffered", () => {
  const moduleUrl = new URL("./create-logger.ts", import.meta.url).href;

  /** Runs `body` in a child process with `log`, a buffered logger; resolves with its stdout lines and when each arrived. */
  function runChild(body: string): Promise<{ lines: Record<string, unknown>[]; arrivals: number[]; exitedAt: number; startedAt: number }> {
    const script = `import { createLogger } from ${JSON.stringify(moduleUrl)}; const log = createLogger({ service: "t", buffered: true }); ${body}`;
    const startedAt = Date.now();
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    const arrivals: number[] = [];
    child.stdout.on("data", (chunk: Buffer) => {
      text += String(chunk);
      arrivals.push(Date.now());
    });
    return new Promise((resolve, reject) => {
      child.on("error", reject);
      child.on("close", () => {
        const lines = text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
        resolve({ lines, arrivals, exitedAt: Date.now(), startedAt });
      });
    });
  }

  it("writes a quiet process's line within the flush period, long before it exits", async () => {
    const { lines, arrivals, exitedAt } = await runChild(`log.info("early"); setTimeout(() => process.exit(0), 2000);`);
    expect(lines.map((l) => l.msg)).toEqual(["early"]);
    expect(exitedAt - (arrivals[0] ?? exitedAt)).toBeGreaterThan(1_000);
  });

  it("writes every line still buffered when the process exits", async () => {
    const { lines } = await runChild(`for (let i = 0; i < 500; i++) log.info({ i }, "line"); process.exit(0);`);
    expect(lines).toHaveLength(500);
    expect(lines.at(-1)).toMatchObject({ i: 499, service: "t" });
  });
});

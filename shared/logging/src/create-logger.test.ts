import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./create-logger.js";

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

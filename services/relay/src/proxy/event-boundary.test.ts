import { describe, expect, it } from "vitest";
import { createEventBoundary } from "./event-boundary.js";

function after(...chunks: string[]): boolean {
  const boundary = createEventBoundary();
  for (const chunk of chunks) boundary.push(Buffer.from(chunk, "utf8"));
  return boundary.atBoundary;
}

describe("createEventBoundary", () => {
  it("is at a boundary before any byte", () => {
    expect(after()).toBe(true);
  });

  it("is at a boundary after a complete event, with LF or CRLF line ends", () => {
    expect(after('event: ping\ndata: {"type": "ping"}\n\n')).toBe(true);
    expect(after("event: a\r\ndata: 1\r\n\r\n")).toBe(true);
    expect(after("data: 1\n\r\n")).toBe(true);
  });

  it("is not at a boundary inside an event", () => {
    expect(after("event: content_block_delta\n")).toBe(false);
    expect(after("event: a\ndata: {\"text\":\"hé")).toBe(false);
    expect(after("data: 1\r\n")).toBe(false);
    // The LF of this CRLF may still be on its way.
    expect(after("data: 1\n\r")).toBe(false);
  });

  it("sees a blank line split over chunks, down to one byte each", () => {
    expect(after("data: 1\n", "\n")).toBe(true);
    expect(after("data: 1", "\n", "\n")).toBe(true);
    expect(after("data: 1\r\n\r", "\n")).toBe(true);
    expect(after("data: 1\n\n", "event: x\n")).toBe(false);
    expect(after("data: 1\n\n", "e")).toBe(false);
    const bytes = Buffer.from("event: a\ndata: é\n\n", "utf8");
    const boundary = createEventBoundary();
    const seen: boolean[] = [];
    for (const byte of bytes) {
      boundary.push(Buffer.from([byte]));
      seen.push(boundary.atBoundary);
    }
    expect(seen.lastIndexOf(false)).toBe(bytes.length - 2);
    expect(seen.at(-1)).toBe(true);
  });
});

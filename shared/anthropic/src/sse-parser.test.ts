import { describe, expect, it } from "vitest";
import { createSseParser, type SseEvent } from "./sse-parser.js";

const encoder = new TextEncoder();

/** Mixed line ends, a comment, multi-line data, fields without a space or a colon, and 2-, 3- and 4-byte characters. */
const SAMPLE =
  ": keep-alive comment\r\n" +
  "event: message_start\r\n" +
  'data: {"text":"héllo 世界 🎉"}\r\n' +
  "\r\n" +
  "event: ping\r" +
  "data: one\r" +
  "data:two\r" +
  "\r" +
  "data:  spaced\n" +
  "\n" +
  "event: content_block_delta\n" +
  "data: 🎉世\n" +
  "id: 7\n" +
  "retry: 10\n" +
  "\n" +
  "data\n" +
  "\n" +
  "event: nothing-to-send\n" +
  "\n" +
  "data: after\n" +
  "\n" +
  "event: tail\n" +
  "data: never finished";

const EXPECTED: SseEvent[] = [
  { event: "message_start", data: '{"text":"héllo 世界 🎉"}' },
  { event: "ping", data: "one\ntwo" },
  { event: "message", data: " spaced" },
  { event: "content_block_delta", data: "🎉世" },
  { event: "message", data: "" },
  { event: "message", data: "after" },
];

function parseChunks(chunks: Uint8Array[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createSseParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return events;
}

function splitAt(bytes: Uint8Array, positions: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const position of positions) {
    chunks.push(bytes.subarray(start, position));
    start = position;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

describe("createSseParser", () => {
  const bytes = encoder.encode(SAMPLE);

  it("parses a whole stream pushed at once", () => {
    expect(parseChunks([bytes])).toEqual(EXPECTED);
  });

  it("gives the same events for every split of the stream into two chunks", () => {
    for (let i = 0; i <= bytes.length; i++) {
      expect(parseChunks(splitAt(bytes, [i])), `split at ${i}`).toEqual(EXPECTED);
    }
  });

  it("gives the same events for every split of the stream into three chunks", () => {
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        const events = parseChunks(splitAt(bytes, [i, j]));
        if (events.length !== EXPECTED.length) expect(events, `split at ${i}, ${j}`).toEqual(EXPECTED);
        for (let k = 0; k < events.length; k++) {
          if (events[k]?.data !== EXPECTED[k]?.data || events[k]?.event !== EXPECTED[k]?.event) {
            expect(events, `split at ${i}, ${j}`).toEqual(EXPECTED);
          }
        }
      }
    }
  });

  it("decodes a character split inside its 3-byte and its 4-byte encoding", () => {
    const text = "data: 世🎉\n\n";
    const raw = encoder.encode(text);
    const threeByteStart = raw.indexOf(0xe4);
    const fourByteStart = raw.indexOf(0xf0);
    expect(threeByteStart).toBeGreaterThan(0);
    expect(fourByteStart).toBeGreaterThan(0);
    for (const position of [threeByteStart + 1, threeByteStart + 2, fourByteStart + 1, fourByteStart + 2, fourByteStart + 3]) {
      expect(parseChunks(splitAt(raw, [position]))).toEqual([{ event: "message", data: "世🎉" }]);
    }
    expect(parseChunks(splitAt(raw, [threeByteStart + 1, fourByteStart + 2]))).toEqual([{ event: "message", data: "世🎉" }]);
  });

  it("treats a CR at the end of one chunk and a LF at the start of the next as one line end", () => {
    const chunks = [encoder.encode("data: a\r"), encoder.encode("\ndata: b\r\n\r\n")];
    expect(parseChunks(chunks)).toEqual([{ event: "message", data: "a\nb" }]);
  });

  it("keeps the pending CR across an empty chunk", () => {
    const chunks = [encoder.encode("data: a\r"), new Uint8Array(0), encoder.encode("\ndata: b\r\n\r\n")];
    expect(parseChunks(chunks)).toEqual([{ event: "message", data: "a\nb" }]);
  });

  it("treats a lone CR followed by more text as a line end", () => {
    expect(parseChunks([encoder.encode("data: a\rdata: b\r\r")])).toEqual([{ event: "message", data: "a\nb" }]);
  });

  it("parses a stream pushed one byte at a time", () => {
    const chunks = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
    expect(parseChunks(chunks)).toEqual(EXPECTED);
  });

  it("ignores comment lines, including an empty comment", () => {
    expect(parseChunks([encoder.encode(":\n: ping\nevent: x\n:comment\ndata: y\n\n")])).toEqual([{ event: "x", data: "y" }]);
  });

  it("joins several data lines with a newline", () => {
    expect(parseChunks([encoder.encode("data: first\ndata:\ndata: third\n\n")])).toEqual([{ event: "message", data: "first\n\nthird" }]);
  });

  it("strips exactly one leading space from a value and keeps colons after the first", () => {
    expect(parseChunks([encoder.encode("event:  spaced\ndata: a: b\n\n")])).toEqual([{ event: " spaced", data: "a: b" }]);
  });

  it("does not carry an event name over a blank line that dispatched nothing", () => {
    expect(parseChunks([encoder.encode("event: lost\n\ndata: kept\n\n")])).toEqual([{ event: "message", data: "kept" }]);
  });

  it("discards an event the stream ended before its blank line", () => {
    expect(parseChunks([encoder.encode("data: done\n\ndata: half")])).toEqual([{ event: "message", data: "done" }]);
  });

  it("strips a byte order mark at the very start", () => {
    expect(parseChunks([new Uint8Array([0xef, 0xbb, 0xbf]), encoder.encode("data: x\n\n")])).toEqual([{ event: "message", data: "x" }]);
  });

  it("parses a 1 MB data line pushed whole and in 64 KB chunks", () => {
    const big = `${"x".repeat(1024 * 1024)}世🎉`;
    const raw = encoder.encode(`event: content_block_delta\ndata: ${big}\n\nevent: message_stop\ndata: {}\n\n`);
    const expected = [
      { event: "content_block_delta", data: big },
      { event: "message_stop", data: "{}" },
    ];
    expect(parseChunks([raw])).toEqual(expected);
    const positions: number[] = [];
    for (let i = 65_536; i < raw.length; i += 65_536) positions.push(i);
    expect(parseChunks(splitAt(raw, positions))).toEqual(expected);
  });

  it("parses a 256 KB event pushed one byte at a time without slowing down quadratically", () => {
    const big = "y".repeat(256 * 1024);
    const raw = encoder.encode(`data: ${big}\n\n`);
    const events: SseEvent[] = [];
    const parser = createSseParser((event) => events.push(event));
    for (let i = 0; i < raw.length; i++) parser.push(raw.subarray(i, i + 1));
    parser.end();
    expect(events).toHaveLength(1);
    expect(events[0]?.data.length).toBe(big.length);
  });

  it("dispatches events as soon as their blank line arrives, before end", () => {
    const events: SseEvent[] = [];
    const parser = createSseParser((event) => events.push(event));
    parser.push(encoder.encode("data: one\n"));
    expect(events).toHaveLength(0);
    parser.push(encoder.encode("\n"));
    expect(events).toEqual([{ event: "message", data: "one" }]);
  });
});

import { describe, expect, it } from "vitest";
import { createJsonArraySplitter } from "./json-array-stream.js";

/**
 * Three elements framed the way `streamGenerateContent` without `alt=sse` frames them, with
 * strings that hold brackets, braces, quotes, backslashes, escapes and 2-, 3- and 4-byte characters.
 */
const ELEMENTS = [
  '{"candidates": [{"content": {"parts": [{"text": "héllo 世界 🙂"}],"role": "model"},"index": 0}],"modelVersion": "gemini-2.5-flash"}',
  '{\r\n  "candidates": [{"content": {"parts": [{"text": "a \\"quoted\\" [not] {an} object, \\\\ ends with a backslash \\\\"}]}}],\n  "empty": {}, "list": [[], [1, {"k": "]}"}]]\n}',
  '{"candidates": [{"finishReason": "STOP","content": {"parts": [{"text": "\\u00e9\\n\\t\\/ 🙂🙂"}]}}],"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 5}}',
];
const BODY = `[${ELEMENTS[0]}\n,\r\n${ELEMENTS[1]}\n,${ELEMENTS[2]}\n]`;

function split(chunks: Buffer[]): { elements: string[]; failed: boolean } {
  const elements: string[] = [];
  const splitter = createJsonArraySplitter((json) => elements.push(json));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return { elements, failed: splitter.failed };
}

function splitAt(bytes: Buffer, positions: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let start = 0;
  for (const position of positions) {
    chunks.push(bytes.subarray(start, position));
    start = position;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

describe("createJsonArraySplitter", () => {
  const bytes = Buffer.from(BODY);

  it("emits the exact text of each element of a whole body", () => {
    expect(split([bytes])).toEqual({ elements: ELEMENTS, failed: false });
    expect(ELEMENTS.map((e) => JSON.parse(e))).toEqual(JSON.parse(BODY));
  });

  it("emits the same elements for every split of the body into two chunks", () => {
    for (let i = 0; i <= bytes.length; i++) {
      const result = split(splitAt(bytes, [i]));
      if (result.failed || result.elements.join("\u0000") !== ELEMENTS.join("\u0000")) {
        expect(result, `split at ${i}`).toEqual({ elements: ELEMENTS, failed: false });
      }
    }
  });

  it("emits the same elements for every split of a short body into three chunks", () => {
    const small = Buffer.from('[ {"t":"é\\"]}世🙂"} ,{"u":[{}]}]');
    const expected = ['{"t":"é\\"]}世🙂"}', '{"u":[{}]}'];
    for (let i = 0; i <= small.length; i++) {
      for (let j = i; j <= small.length; j++) {
        const result = split(splitAt(small, [i, j]));
        if (result.failed || result.elements.join("\u0000") !== expected.join("\u0000")) {
          expect(result, `split at ${i}, ${j}`).toEqual({ elements: expected, failed: false });
        }
      }
    }
  });

  it("emits the same elements when the body arrives one byte at a time", () => {
    expect(split(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)))).toEqual({ elements: ELEMENTS, failed: false });
  });

  it("emits each element as soon as its closing brace arrives, before the array ends", () => {
    const elements: string[] = [];
    const splitter = createJsonArraySplitter((json) => elements.push(json));
    splitter.push(Buffer.from('[{"a":1}'));
    expect(elements).toEqual(['{"a":1}']);
    splitter.push(Buffer.from('\r\n,{"b":'));
    expect(elements).toEqual(['{"a":1}']);
    splitter.push(Buffer.from("[2]}"));
    expect(elements).toEqual(['{"a":1}', '{"b":[2]}']);
    expect(splitter.failed).toBe(false);
  });

  it.each([
    ["an empty array", "[]", []],
    ["an array with whitespace everywhere", " \r\n[ \t{ }\r\n,\n[ ]\n]\n ", ["{ }", "[ ]"]],
    ["an element of nested arrays", '[[[{"x":"["}]]]', ['[[{"x":"["}]]']],
  ])("accepts %s", (_name, body, elements) => {
    expect(split([Buffer.from(body)])).toEqual({ elements, failed: false });
  });

  it.each([
    ["an empty body", "", []],
    ["an object instead of an array", '{"a":1}', []],
    ["a scalar element", "[1]", []],
    ["a string element", '["a"]', []],
    ["a missing comma", '[{"a":1}{"b":2}]', ['{"a":1}']],
    ["a trailing comma", '[{"a":1},]', ['{"a":1}']],
    ["a leading comma", "[,{}]", []],
    ["mismatched brackets", '[{"a":[1}]', []],
    ["an extra closing brace", '[{"a":1}}, {"b":2}]', ['{"a":1}']],
    ["text after the array", "[{}] x", ["{}"]],
    ["a second array", "[{}][{}]", ["{}"]],
    ["a body cut inside an element", '[{"a":1},{"b":"unfinished', ['{"a":1}']],
    ["a body cut before the closing bracket", '[{"a":1}', ['{"a":1}']],
    ["a string left open at the end", '[{"a":"\\"}]', []],
  ])("fails on %s, keeping only the elements emitted before", (_name, body, elements) => {
    expect(split([Buffer.from(body)])).toEqual({ elements, failed: true });
  });

  it("stops for good once failed, even if valid text follows in later chunks", () => {
    const elements: string[] = [];
    const splitter = createJsonArraySplitter((json) => elements.push(json));
    splitter.push(Buffer.from("[{}}"));
    expect(splitter.failed).toBe(true);
    splitter.push(Buffer.from(',{"late":true}]'));
    splitter.end();
    expect(elements).toEqual(["{}"]);
    expect(splitter.failed).toBe(true);
  });

  it("never throws on arbitrary bytes, including invalid UTF-8", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    let failures = 0;
    for (let round = 0; round < 200; round++) {
      const noise = Buffer.from(Array.from({ length: 64 }, () => Math.floor(random() * 256)));
      const splitter = createJsonArraySplitter(() => {});
      expect(() => {
        splitter.push(Buffer.concat([Buffer.from("[{"), noise]));
        splitter.push(Buffer.from([0xff, 0xc3]));
        splitter.end();
      }).not.toThrow();
      if (splitter.failed) failures++;
    }
    // An element that never closes leaves the array open, so every round must fail.
    expect(failures).toBe(200);
  });
});

import { describe, expect, it } from "vitest";
import { lastMember, scanJsonObject, withoutMembers } from "./json-members.js";

/** The members of `text` as [key, value text] pairs. */
function members(text: string): Array<[string, string]> | undefined {
  const scan = scanJsonObject(text);
  return scan?.members.map((m) => [m.key, text.slice(m.valueStart, m.valueEnd)]);
}

describe("scanJsonObject", () => {
  it("finds each top-level member and the exact text of its value", () => {
    const text = ' \r\n{ "a" : 1 , "b":"x\\"y\\\\" ,"c":{"a":[1,{"b":"}]"}]},"d":[ ] , "e":-1.5e+3,"f":true,"g":null}\n';
    expect(members(text)).toEqual([
      ["a", "1"],
      ["b", '"x\\"y\\\\"'],
      ["c", '{"a":[1,{"b":"}]"}]}'],
      ["d", "[ ]"],
      ["e", "-1.5e+3"],
      ["f", "true"],
      ["g", "null"],
    ]);
    const scan = scanJsonObject(text);
    expect(text.slice(scan?.start, scan?.end)).toBe(text.trim());
  });

  it("decodes escaped keys", () => {
    expect(members('{"proj\\u0065ct":1,"a\\"b":2}')).toEqual([
      ["project", "1"],
      ['a"b', "2"],
    ]);
  });

  it("reads an empty object", () => {
    expect(scanJsonObject(" {} ")).toEqual({ start: 1, end: 3, members: [] });
  });

  it("gives byte offsets when a UTF-8 Buffer is scanned as latin1", () => {
    const bytes = Buffer.from('{"t":"héllo 世界 🙂","request":{"k":"ü"}}');
    const scan = scanJsonObject(bytes.toString("latin1"));
    const request = scan === undefined ? undefined : lastMember(scan, "request");
    expect(request).toBeDefined();
    expect(bytes.subarray(request?.valueStart, request?.valueEnd).toString("utf8")).toBe('{"k":"ü"}');
  });

  it.each([
    "",
    "[]",
    "null",
    "{",
    '{"a":1',
    '{"a" 1}',
    '{"a":}',
    '{"a":1,}',
    '{,"a":1}',
    '{"a":1 "b":2}',
    "{a:1}",
    '{"a":"open}',
    '{"a":[1}',
    '{"a":{"b":1]}',
    '{"a":1} x',
    '{"a":1}{}',
  ])("rejects %j", (text) => {
    expect(scanJsonObject(text)).toBeUndefined();
  });
});

describe("lastMember", () => {
  it("picks the last of repeated keys, as JSON.parse keeps it", () => {
    const text = '{"k":1,"x":0,"k":2}';
    const scan = scanJsonObject(text);
    const member = scan === undefined ? undefined : lastMember(scan, "k");
    expect(member === undefined ? undefined : text.slice(member.valueStart, member.valueEnd)).toBe(String(JSON.parse(text).k));
    expect(scan === undefined ? "scan failed" : lastMember(scan, "missing")).toBeUndefined();
  });
});

describe("withoutMembers", () => {
  it.each([
    ['{"a":1,"s":2,"b":3}', '{"a":1,"b":3}'],
    ['{"s":2,"a":1}', '{"a":1}'],
    ['{"a":1,"s":2}', '{"a":1}'],
    ['{ "a" : 1 ,\n "s" : 2 \n}', '{ "a" : 1 \n}'],
    ['{"s":2}', "{}"],
    ['{"s":1,"a":"s","s":{"s":2}}', '{"a":"s"}'],
    ['{"a":{"s":1}}', '{"a":{"s":1}}'],
    ["not json", "not json"],
  ])("cuts s out of %j", (input, output) => {
    expect(withoutMembers(Buffer.from(input), "s").toString()).toBe(output);
  });

  it("keeps every other byte, multi-byte characters included", () => {
    const input = '{"text":"héllo 世界 🙂","s":"x","more":"ü"}';
    expect(withoutMembers(Buffer.from(input), "s").toString("utf8")).toBe('{"text":"héllo 世界 🙂","more":"ü"}');
  });
});

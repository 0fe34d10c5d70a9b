/**
 * Finds the members of a JSON object in its text, with the span of each value, so that an
 * envelope can be put on or taken off a body without parsing and re-serializing what is inside.
 *
 * It owns the lexical rules needed for that (strings and their escapes, nesting, scalars,
 * whitespace) and checks the grammar of the outer object only; a nested value is skipped by
 * balancing its brackets, and whether it is valid JSON is left to whoever reads it. All
 * structural characters are ASCII, so a Buffer decoded as latin1 (one character per byte) can
 * be scanned too, and the offsets found are then byte offsets into that Buffer.
 */

/** One member of an object: its decoded key and where its text lies. */
export interface JsonMember {
  key: string;
  /** Offset of the key's opening quote. */
  start: number;
  /** Offset of the value's first character. */
  valueStart: number;
  /** Offset just past the value's last character. */
  valueEnd: number;
}

/** The outer object of a text: where it lies and its members in order. */
export interface JsonObjectScan {
  /** Offset of `{`. */
  start: number;
  /** Offset just past `}`. */
  end: number;
  members: JsonMember[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Scans `text` as one JSON object with optional whitespace around it; undefined when it is not one. */
export function scanJsonObject(text: string): JsonObjectScan | undefined {
  const start = skipWhitespace(text, 0);
  if (text.charCodeAt(start) !== 0x7b /* { */) return undefined;
  const members: JsonMember[] = [];
  let i = skipWhitespace(text, start + 1);
  if (text.charCodeAt(i) === 0x7d /* } */) return trailingWhitespaceOnly(text, { start, end: i + 1, members });
  for (;;) {
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return undefined;
    const key = decodeKey(text.slice(i, keyEnd));
    const colon = skipWhitespace(text, keyEnd);
    if (text.charCodeAt(colon) !== 0x3a /* : */) return undefined;
    const valueStart = skipWhitespace(text, colon + 1);
    const valueEnd = skipValue(text, valueStart);
    if (valueEnd < 0) return undefined;
    members.push({ key, start: i, valueStart, valueEnd });
    const next = skipWhitespace(text, valueEnd);
    const c = text.charCodeAt(next);
    if (c === 0x7d) return trailingWhitespaceOnly(text, { start, end: next + 1, members });
    if (c !== 0x2c /* , */) return undefined;
    i = skipWhitespace(text, next + 1);
  }
}

/** The last member named `key`: the one JSON.parse would keep. */
export function lastMember(scan: JsonObjectScan, key: string): JsonMember | undefined {
  for (let k = scan.members.length - 1; k >= 0; k--) {
    const member = scan.members[k] as JsonMember;
    if (member.key === key) return member;
  }
  return undefined;
}

/**
 * `bytes` (a JSON object) without its top-level members named `key`, each cut out with one of
 * its commas; every other byte is kept. Bytes that are not a JSON object come back as they are.
 */
export function withoutMembers(bytes: Buffer, key: string): Buffer {
  let out = bytes;
  for (;;) {
    const scan = scanJsonObject(out.toString("latin1"));
    const index = scan === undefined ? -1 : scan.members.findIndex((m) => m.key === key);
    if (scan === undefined || index < 0) return out;
    // Up to the next member's key, or for the last member from the previous value's end.
    const member = scan.members[index] as JsonMember;
    const next = scan.members[index + 1];
    const previous = scan.members[index - 1];
    const from = next !== undefined || previous === undefined ? member.start : previous.valueEnd;
    const to = next !== undefined ? next.start : member.valueEnd;
    out = Buffer.concat([out.subarray(0, from), out.subarray(to)]);
  }
}

function trailingWhitespaceOnly(text: string, scan: JsonObjectScan): JsonObjectScan | undefined {
  return skipWhitespace(text, scan.end) === text.length ? scan : undefined;
}

function skipWhitespace(text: string, i: number): number {
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
  }
  return i;
}

/** The offset just past the string starting at `i`, or −1. */
function skipString(text: string, i: number): number {
  if (text.charCodeAt(i) !== QUOTE) return -1;
  let from = i + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    // The quote is escaped when an odd number of backslashes precedes it.
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The offset just past the value starting at `i`, or −1. */
function skipValue(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return skipString(text, i);
  if (first === 0x7b || first === 0x5b /* [ */) {
    const closers: number[] = [];
    for (let j = i; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) {
        const end = skipString(text, j);
        if (end < 0) return -1;
        j = end - 1;
      } else if (c === 0x7b) closers.push(0x7d);
      else if (c === 0x5b) closers.push(0x5d);
      else if (c === 0x7d || c === 0x5d) {
        if (closers.pop() !== c) return -1;
        if (closers.length === 0) return j + 1;
      }
    }
    return -1;
  }
  // A number, true, false or null: runs to the next delimiter.
  let j = i;
  while (j < text.length && /[-+.\w]/.test(text.charAt(j))) j++;
  return j > i ? j : -1;
}

function decodeKey(quoted: string): string {
  if (!quoted.includes("\\")) return quoted.slice(1, -1);
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1);
  }
}

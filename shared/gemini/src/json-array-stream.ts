/**
 * Splits the JSON array that `streamGenerateContent` answers without `alt=sse` into its
 * elements as they arrive.
 *
 * Without `alt=sse` the Gemini API writes one JSON array in pieces, an element at a time
 * (`[{…}\n,\r\n{…}\n]`; the whitespace between tokens varies), so a reader on the side can
 * handle each GenerateContentResponse as soon as its closing brace arrives instead of waiting
 * for the whole body. This module owns only the array's framing: it tracks strings, escapes
 * and nesting to find where each top-level element ends, and hands over the element's text.
 * Whether that text is a valid response is for the consumer's JSON.parse to say.
 *
 * Bytes are decoded with node:string_decoder, so a chunk may end anywhere, even inside a
 * multi-byte character. Only objects and arrays are accepted as elements (that is what the
 * API sends); anything else, a missing comma, or text after the closing `]` marks the stream
 * failed, after which nothing more is emitted. Nothing here throws.
 */
import { StringDecoder } from "node:string_decoder";

/** The push side of a splitter. */
export interface JsonArraySplitter {
  /** Feeds the next bytes; every element completed by them is emitted before it returns. */
  push(chunk: Buffer): void;
  /** Ends the input; an array left open at this point marks the stream failed. */
  end(): void;
  /** True once the input was found not to be a JSON array of objects/arrays; stays true. */
  readonly failed: boolean;
}

/**
 * Where the scanner stands: before the opening `[`, expecting the first element or `]`,
 * expecting an element (after a comma), inside an element, expecting `,` or `]`, after the
 * closing `]` (only whitespace may follow), or failed.
 */
type Position = "start" | "first-element" | "element" | "in-element" | "after-element" | "done" | "failed";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/** Creates a splitter that calls `onElement` with the JSON text of each top-level element. */
export function createJsonArraySplitter(onElement: (json: string) => void): JsonArraySplitter {
  const decoder = new StringDecoder("utf8");
  let at: Position = "start";
  /** The closing characters the current element still owes, innermost last. */
  const closers: number[] = [];
  let inString = false;
  let escaped = false;
  /** Text of the current element from earlier chunks. */
  let pending: string[] = [];

  function scan(text: string): void {
    let elementStart = at === "in-element" ? 0 : -1;
    for (let i = 0; i < text.length && at !== "failed"; i++) {
      const c = text.charCodeAt(i);
      if (at === "in-element") {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === BACKSLASH) escaped = true;
          else if (c === QUOTE) inString = false;
          continue;
        }
        if (c === QUOTE) inString = true;
        else if (c === OPEN_BRACE) closers.push(CLOSE_BRACE);
        else if (c === OPEN_BRACKET) closers.push(CLOSE_BRACKET);
        else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          if (closers.pop() !== c) {
            at = "failed";
            break;
          }
          if (closers.length === 0) {
            const tail = text.slice(elementStart, i + 1);
            const json = pending.length === 0 ? tail : pending.join("") + tail;
            pending = [];
            elementStart = -1;
            at = "after-element";
            onElement(json);
          }
        }
        continue;
      }
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
      if (at === "start" && c === OPEN_BRACKET) {
        at = "first-element";
      } else if ((at === "first-element" || at === "element") && (c === OPEN_BRACE || c === OPEN_BRACKET)) {
        at = "in-element";
        closers.push(c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET);
        elementStart = i;
      } else if ((at === "first-element" || at === "after-element") && c === CLOSE_BRACKET) {
        at = "done";
      } else if (at === "after-element" && c === COMMA) {
        at = "element";
      } else {
        at = "failed";
      }
    }
    if (at === "in-element" && elementStart >= 0) pending.push(text.slice(elementStart));
    if (at === "failed") pending = [];
  }

  return {
    push(chunk) {
      if (at === "failed" || chunk.length === 0) return;
      scan(decoder.write(chunk));
    },
    end() {
      if (at === "failed") return;
      scan(decoder.end());
      if (at !== "done") at = "failed";
      pending = [];
    },
    get failed() {
      return at === "failed";
    },
  };
}

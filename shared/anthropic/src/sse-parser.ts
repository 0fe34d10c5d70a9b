/**
 * An incremental text/event-stream parser for reading a stream on the side.
 *
 * It owns the line and field rules of the WHATWG "event stream interpretation"
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation)
 * that Anthropic streams use: LF, CRLF or CR line ends, `event:` and `data:` fields,
 * comments, and dispatch on a blank line. `id:` and `retry:` are read and ignored, as
 * nothing downstream reconnects. What an event means is left to its consumer.
 *
 * Bytes are decoded with a streaming TextDecoder, so a chunk may end anywhere, even
 * inside a multi-byte character. Line ends are found with `indexOf` on the decoded
 * text, never byte by byte, and only the new text is searched: the parser keeps the
 * unfinished line and the fields of the current event, nothing older.
 */

/** One dispatched event: its name ("message" when the stream named none) and its data lines joined by "\n". */
export interface SseEvent {
  event: string;
  data: string;
}

/** The push side of an SSE parser. */
export interface SseParser {
  /** Feeds the next bytes of the stream; complete events are dispatched before it returns. */
  push(chunk: Uint8Array): void;
  /** Ends the stream; an event without its closing blank line is discarded, as the spec says. */
  end(): void;
}

/** Creates a parser that calls `onEvent` for every complete event in the bytes pushed to it. */
export function createSseParser(onEvent: (event: SseEvent) => void): SseParser {
  let decoder = new TextDecoder("utf-8");
  /** The start of a line whose end has not arrived yet; never holds a line terminator. */
  let partial = "";
  /** The previous text ended with CR: a LF starting the next text belongs to the same line end. */
  let skipLeadingLf = false;
  let eventName = "";
  let dataLines: string[] = [];

  function dispatch(): void {
    if (dataLines.length > 0) {
      const data = dataLines.length === 1 ? (dataLines[0] as string) : dataLines.join("\n");
      const event = eventName === "" ? "message" : eventName;
      eventName = "";
      dataLines = [];
      onEvent({ event, data });
      return;
    }
    eventName = "";
  }

  function processLine(line: string): void {
    if (line.length === 0) {
      dispatch();
      return;
    }
    const colon = line.indexOf(":");
    if (colon === 0) return; // a comment, e.g. a keep-alive
    let field: string;
    let value: string;
    if (colon < 0) {
      field = line;
      value = "";
    } else {
      field = line.slice(0, colon);
      const start = line.charCodeAt(colon + 1) === 0x20 ? colon + 2 : colon + 1;
      value = line.slice(start);
    }
    if (field === "data") dataLines.push(value);
    else if (field === "event") eventName = value;
  }

  function processText(text: string): void {
    let pos = 0;
    if (skipLeadingLf && text.length > 0) {
      skipLeadingLf = false;
      if (text.charCodeAt(0) === 0x0a) pos = 1;
    }
    // Next LF and CR at or after pos; each is searched again only once passed, so a
    // stream without CRs costs one failed scan per chunk, not one per line.
    let lf = text.indexOf("\n", pos);
    let cr = text.indexOf("\r", pos);
    while (lf >= 0 || cr >= 0) {
      let end: number;
      let next: number;
      if (cr < 0 || (lf >= 0 && lf < cr)) {
        end = lf;
        next = lf + 1;
      } else {
        end = cr;
        if (cr + 1 === text.length) {
          skipLeadingLf = true;
          next = cr + 1;
        } else {
          next = text.charCodeAt(cr + 1) === 0x0a ? cr + 2 : cr + 1;
        }
      }
      const piece = text.slice(pos, end);
      if (partial.length > 0) {
        const line = partial + piece;
        partial = "";
        processLine(line);
      } else {
        processLine(piece);
      }
      pos = next;
      if (lf >= 0 && lf < pos) lf = text.indexOf("\n", pos);
      if (cr >= 0 && cr < pos) cr = text.indexOf("\r", pos);
    }
    if (pos < text.length) partial = partial.length > 0 ? partial + text.slice(pos) : text.slice(pos);
  }

  return {
    push(chunk) {
      if (chunk.byteLength === 0) return;
      processText(decoder.decode(chunk, { stream: true }));
    },
    end() {
      processText(decoder.decode());
      decoder = new TextDecoder("utf-8");
      partial = "";
      skipLeadingLf = false;
      eventName = "";
      dataLines = [];
    },
  };
}

/**
 * Whether the bytes of an event stream forwarded so far end between two events,
 * i.e. on a blank line (WHATWG event stream: a line end right after a line end,
 * LF or CRLF). Only there may the relay put bytes of its own (a ping) into the
 * upstream's stream: anywhere else they would land inside an event. A trailing
 * lone CR is not taken as a boundary, since its LF may still be on the way.
 */

const LF = 0x0a;
const CR = 0x0d;

/** Tracks the last bytes of a stream. */
export interface EventBoundary {
  /** Feeds the next forwarded chunk. */
  push(chunk: Uint8Array): void;
  /** True when the stream so far is empty or ends on a blank line. */
  readonly atBoundary: boolean;
}

/** Creates a tracker for a stream with nothing forwarded yet. */
export function createEventBoundary(): EventBoundary {
  // The last three bytes, oldest first; -1 before any byte.
  let b1 = -1;
  let b2 = -1;
  let b3 = -1;
  return {
    push(chunk) {
      const n = chunk.length;
      if (n >= 3) {
        b1 = chunk[n - 3] as number;
        b2 = chunk[n - 2] as number;
        b3 = chunk[n - 1] as number;
        return;
      }
      for (let i = 0; i < n; i++) {
        b1 = b2;
        b2 = b3;
        b3 = chunk[i] as number;
      }
    },
    get atBoundary() {
      if (b3 === -1) return true;
      if (b3 !== LF) return false;
      return b2 === LF || (b2 === CR && (b1 === LF || b1 === CR));
    },
  };
}

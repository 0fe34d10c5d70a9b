/**
 * Writes one mock response: records every body byte as it is written, paces and splits
 * the writes as a script asks, and stops as soon as the connection goes away (a client
 * hanging up, or the mock closing), so no timer or write outlives its socket.
 */
import type { ServerResponse } from "node:http";

/** How a stream's bytes are cut into writes. */
export type MockChunking = "event" | "byte" | "random";

/** Thrown by a MockResponder's writes and sleeps once its connection has closed. */
export class MockResponseClosedError extends Error {
  readonly code = "ERR_MOCK_RESPONSE_CLOSED";
  constructor() {
    super("the response's connection closed");
    this.name = "MockResponseClosedError";
  }
}

/** The writing side of one mock response. */
export interface MockResponder {
  /** Sends the status line and headers; `flush` pushes them out before any body byte. */
  head(status: number, headers: Record<string, string>, flush?: boolean): void;
  /** Writes and records a chunk; resolves once it has left for the socket. */
  write(chunk: Buffer): Promise<void>;
  /** Writes events cut as `chunking` says, pausing `delayMs` between events. */
  writeEvents(events: Buffer[], chunking: MockChunking, delayMs: number): Promise<void>;
  /** Ends the response, writing and recording `chunk` first. */
  end(chunk?: Buffer): Promise<void>;
  /** Waits, or rejects as soon as the connection closes. */
  sleep(ms: number): Promise<void>;
  /** Destroys the socket without ending the response. */
  destroy(): void;
}

/** Creates the responder for `res`; `onStatus` and `onBytes` feed the request's record. */
export function createMockResponder(res: ServerResponse, onStatus: (status: number) => void, onBytes: (chunk: Buffer) => void): MockResponder {
  let closed = false;
  const onClose = new Set<() => void>();
  res.once("close", () => {
    closed = true;
    for (const cancel of onClose) cancel();
    onClose.clear();
  });

  /** Runs `start` and settles with it, or rejects when the connection closes first. */
  function untilClosed(start: (resolve: () => void, reject: (err: Error) => void) => () => void): Promise<void> {
    if (closed) return Promise.reject(new MockResponseClosedError());
    return new Promise<void>((resolve, reject) => {
      let cleanup = () => {};
      const cancel = () => {
        cleanup();
        reject(new MockResponseClosedError());
      };
      onClose.add(cancel);
      cleanup = start(
        () => {
          onClose.delete(cancel);
          resolve();
        },
        (err) => {
          onClose.delete(cancel);
          reject(err);
        },
      );
    });
  }

  function write(chunk: Buffer): Promise<void> {
    return untilClosed((resolve, reject) => {
      onBytes(chunk);
      res.write(chunk, (err) => (err ? reject(err) : resolve()));
      return () => {};
    });
  }

  function sleep(ms: number): Promise<void> {
    return untilClosed((resolve) => {
      const timer = setTimeout(resolve, ms);
      return () => clearTimeout(timer);
    });
  }

  // A write completed synchronously calls back before the event loop turns; yielding a
  // full turn lets each chunk leave as its own packet and reach the reader on its own.
  const nextTurn = () =>
    untilClosed((resolve) => {
      const immediate = setImmediate(resolve);
      return () => clearImmediate(immediate);
    });

  return {
    head(status, headers, flush = false) {
      if (closed) return;
      onStatus(status);
      res.writeHead(status, headers);
      if (flush) res.flushHeaders();
    },
    write,
    async writeEvents(events, chunking, delayMs) {
      const units = chunking === "event" || delayMs > 0 ? events : [Buffer.concat(events)];
      for (let i = 0; i < units.length; i++) {
        if (i > 0 && delayMs > 0) await sleep(delayMs);
        const unit = units[i] as Buffer;
        if (chunking === "event") {
          await write(unit);
          continue;
        }
        for (const piece of cut(unit, chunking)) {
          await write(piece);
          await nextTurn();
        }
      }
    },
    end(chunk) {
      return untilClosed((resolve) => {
        if (chunk !== undefined) onBytes(chunk);
        res.end(chunk, resolve);
        return () => {};
      });
    },
    sleep,
    destroy() {
      res.socket?.destroy();
      res.destroy();
    },
  };
}

/** Cuts bytes into one-byte pieces, or into pieces of 1–24 random bytes that may split a character. */
function cut(bytes: Buffer, chunking: "byte" | "random"): Buffer[] {
  const pieces: Buffer[] = [];
  for (let start = 0; start < bytes.length; ) {
    const size = chunking === "byte" ? 1 : 1 + Math.floor(Math.random() * 24);
    pieces.push(bytes.subarray(start, start + size));
    start += size;
  }
  return pieces;
}

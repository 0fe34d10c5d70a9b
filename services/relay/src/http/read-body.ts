/**
 * Reading a request body off the wire, for every front door: the bytes as they
 * came, within a size limit, and a drained remainder when the request is
 * refused, so the client has finished writing and reads the answer instead of
 * a reset. Also the one hash of a client key the control plane knows keys by.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** Reads and drops whatever is left of a request body; false when the client went away first. */
export async function discardBody(req: IncomingMessage): Promise<boolean> {
  if (req.complete) return true;
  return (await readBody(req, -1)) !== "gone";
}

/** Lower-case hex SHA-256 of a text: how keys and session identities travel to the control plane. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Where a connection keeps the hash of the last client key it carried. */
const KEY_HASH = Symbol("clientKeyHash");

/**
 * The hash of a request's client key (sha256Hex), kept on its connection: the key check and the
 * route's reader ask for it on every request, and a keep-alive client sends the same key again and
 * again, so each connection hashes a key once. A different key on the same connection is hashed anew.
 */
export function clientKeyHash(req: IncomingMessage, key: string): string {
  const socket = req.socket as (IncomingMessage["socket"] & { [KEY_HASH]?: { key: string; hash: string } }) | null | undefined;
  if (!socket) return sha256Hex(key);
  const known = socket[KEY_HASH];
  if (known !== undefined && known.key === key) return known.hash;
  const hash = sha256Hex(key);
  socket[KEY_HASH] = { key, hash };
  return hash;
}

/**
 * The session hash of a continuation id (an OpenAI response id): what Release
 * binds to the account that issued it, and what a later request naming it
 * (`previous_response_id`) asks Acquire for, so the two always meet.
 */
export function continuationHash(id: string): string {
  return sha256Hex(`continuation:${id}`);
}

/**
 * Reads the body up to `limit` bytes (-1: discard everything). Past the limit it
 * keeps reading and discarding to the end, so the answer can be read by the client.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too-large" | "gone"> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = limit < 0;
    const onData = (chunk: Buffer): void => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      if (over) resolve("too-large");
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onGone = (): void => {
      cleanup();
      resolve("gone");
    };
    const onClose = (): void => {
      if (!req.complete) onGone();
    };
    function cleanup(): void {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onGone);
      req.off("aborted", onGone);
      req.off("close", onClose);
    }
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onGone);
    req.on("aborted", onGone);
    req.on("close", onClose);
  });
}

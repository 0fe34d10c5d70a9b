/**
 * Reads a proxy's handshake answers off a socket in paused mode (`read()` on
 * `readable`), so no byte after the handshake is consumed or lost: whatever
 * arrives past the answer stays in the socket for the HTTP client that takes it
 * over. A peer that closes or fails mid-answer rejects with a protocol error
 * naming the proxy by its label.
 */
import type { Socket } from "node:net";
import { UpstreamConnectError } from "./connect-error.js";

/** Reads exactly `n` bytes. */
export function readExactly(socket: Socket, n: number, label: string): Promise<Buffer> {
  return readWith(socket, label, () => {
    const chunk = socket.read(n) as Buffer | null;
    if (chunk === null) return undefined;
    // At the end of the stream read() hands over what is left, even if short.
    if (chunk.length < n) throw closedDuringHandshake(label);
    return chunk;
  });
}

/** Reads an HTTP response head up to and including its blank line; bytes after it are put back. */
export function readHttpHead(socket: Socket, label: string, maxBytes = 16 * 1024): Promise<string> {
  let head: Buffer = Buffer.alloc(0);
  return readWith(socket, label, () => {
    for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end >= 0) {
        if (end + 4 < head.length) socket.unshift(head.subarray(end + 4));
        return head.toString("latin1", 0, end);
      }
      if (head.length > maxBytes) throw new UpstreamConnectError("ERR_RELAY_PROXY_PROTOCOL", `proxy ${label} sent an oversized answer`);
    }
    return undefined;
  });
}

/** Calls `attempt` on every `readable` until it returns a value or throws. */
function readWith<T>(socket: Socket, label: string, attempt: () => T | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onReadable = (): void => {
      let value: T | undefined;
      try {
        value = attempt();
      } catch (error) {
        cleanup();
        reject(error);
        return;
      }
      if (value === undefined) return;
      cleanup();
      resolve(value);
    };
    const onClose = (): void => {
      cleanup();
      reject(closedDuringHandshake(label));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new UpstreamConnectError("ERR_RELAY_PROXY_PROTOCOL", `proxy ${label} failed during the handshake`, { cause: error }));
    };
    function cleanup(): void {
      socket.off("readable", onReadable);
      socket.off("end", onClose);
      socket.off("close", onClose);
      socket.off("error", onError);
    }
    if (socket.destroyed) {
      reject(closedDuringHandshake(label));
      return;
    }
    socket.on("readable", onReadable);
    socket.on("end", onClose);
    socket.on("close", onClose);
    socket.on("error", onError);
    onReadable();
  });
}

function closedDuringHandshake(label: string): UpstreamConnectError {
  return new UpstreamConnectError("ERR_RELAY_PROXY_PROTOCOL", `proxy ${label} closed the connection during the handshake`);
}

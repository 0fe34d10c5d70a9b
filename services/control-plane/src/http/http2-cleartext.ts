/**
 * HTTP/2 without TLS (h2c, prior knowledge) beside HTTP/1.1 on one port. Node
 * 20's `http2.createServer({ allowHTTP1: true })` falls back to HTTP/1.1 only
 * on TLS (by ALPN; tls-port.ts serves that case), so a cleartext port has to
 * look at the first bytes (http2-preface.ts): this module takes over the
 * HTTP/1.1 server's connections, hands HTTP/1.1 ones back to it unchanged (its
 * timeouts, connection tracking and close keep working) and gives the others
 * to an HTTP/2 server with the same request handler. Closing the HTTP/2
 * sessions is `close`'s job, since the HTTP/1.1 server does not know them.
 */
import type { Server as HttpServer } from "node:http";
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from "node:http2";
import type { Socket } from "node:net";
import { detectProtocol } from "./http2-preface.js";

/** Options of acceptHttp2Cleartext. */
export interface Http2CleartextOptions {
  /** Serves every HTTP/2 request. */
  handler(req: Http2ServerRequest, res: Http2ServerResponse): void;
  /** A connection that sends nothing for this long is closed (before either protocol takes it). */
  firstBytesTimeoutMs: number;
  /** An HTTP/2 session without any frame for this long is closed. */
  idleTimeoutMs: number;
}

/** The HTTP/2 side of the port. */
export interface Http2Cleartext {
  /** Asks every HTTP/2 client to stop (GOAWAY), lets open streams finish for graceMs, then cuts them. */
  close(graceMs: number): Promise<void>;
}

/** Makes `server` accept HTTP/2 with prior knowledge too; call before it listens. */
export function acceptHttp2Cleartext(server: HttpServer, options: Http2CleartextOptions): Http2Cleartext {
  const http2 = createHttp2Server({}, options.handler);
  http2.setTimeout(options.idleTimeoutMs, () => {});
  const sessions = new Set<ServerHttp2Session>();
  http2.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  const [listener] = server.listeners("connection") as Array<(socket: Socket) => void>;
  if (listener === undefined) throw new Error("the HTTP/1.1 server has no connection listener");
  const http1: (socket: Socket) => void = listener;
  server.removeListener("connection", http1);
  server.on("connection", handOver);

  function handOver(socket: Socket): void {
    let seen = Buffer.alloc(0);
    const giveUp = () => socket.destroy();
    const onReadable = () => {
      for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null; ) seen = Buffer.concat([seen, chunk]);
      const protocol = detectProtocol(seen);
      if (protocol === undefined) return;
      socket.off("readable", onReadable);
      socket.off("timeout", giveUp);
      socket.off("end", giveUp);
      socket.setTimeout(0);
      socket.unshift(seen);
      if (protocol === "http2") http2.emit("connection", socket);
      else http1.call(server, socket);
    };
    socket.setTimeout(options.firstBytesTimeoutMs);
    socket.on("timeout", giveUp);
    socket.on("end", giveUp);
    // Errors before the hand-over (a reset) end only this socket.
    socket.on("error", () => {});
    socket.on("readable", onReadable);
  }

  return {
    close: (graceMs) =>
      new Promise((resolve) => {
        if (sessions.size === 0) return resolve();
        const force = setTimeout(() => {
          for (const session of sessions) session.destroy();
        }, graceMs);
        force.unref();
        let open = sessions.size;
        for (const session of sessions) {
          session.once("close", () => {
            if (--open === 0) {
              clearTimeout(force);
              resolve();
            }
          });
          session.close();
        }
      }),
  };
}

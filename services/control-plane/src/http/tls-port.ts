/**
 * The admin port over TLS: one HTTP/2 server that also speaks HTTP/1.1, the
 * protocol chosen by ALPN, every request going to the same handler as on the
 * cleartext port. Closing stops accepting, asks HTTP/2 clients to stop
 * (GOAWAY) and lets running requests finish for the grace period before the
 * remaining connections are cut.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from "node:http2";
import type { TLSSocket } from "node:tls";

/** A certificate (chain) and its key, PEM. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

export interface TlsPortOptions {
  /** A connection that finishes no request for this long is closed. */
  idleTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

export interface TlsPort {
  server: Http2SecureServer;
  close(graceMs: number): Promise<void>;
}

export function createTlsPort(files: TlsFiles, handler: (req: IncomingMessage, res: ServerResponse) => void, options: TlsPortOptions): TlsPort {
  const server = createSecureServer({ cert: files.cert, key: files.key, allowHTTP1: true }, handler as unknown as Parameters<typeof createSecureServer>[1]);
  server.setTimeout(options.idleTimeoutMs);
  // The HTTP/1.1 side reads the same limits as node:http's server.
  Object.assign(server, { headersTimeout: options.headersTimeoutMs, requestTimeout: options.requestTimeoutMs });
  const sockets = new Set<TLSSocket>();
  const sessions = new Set<ServerHttp2Session>();
  server.on("secureConnection", (socket: TLSSocket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  return {
    server,
    close: (graceMs) =>
      new Promise((resolve) => {
        const force = setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        for (const session of sessions) session.close();
        // Idle HTTP/1.1 keep-alive connections would hold close() open until the grace runs out.
        for (const socket of sockets) if (!sessionOf(socket, sessions)) socket.end();
      }),
  };
}

function sessionOf(socket: TLSSocket, sessions: ReadonlySet<ServerHttp2Session>): boolean {
  for (const session of sessions) if (session.socket === socket) return true;
  return false;
}

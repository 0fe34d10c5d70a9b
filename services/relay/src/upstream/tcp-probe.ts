/**
 * A TCP connect and nothing more: true when `host:port` accepts a connection
 * within the timeout. Used to see whether a dead upstream or proxy is back
 * without sending it a request.
 */
import { connect } from "node:net";

/** Resolves true when `host:port` accepts a TCP connection within `timeoutMs`; never rejects. */
export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

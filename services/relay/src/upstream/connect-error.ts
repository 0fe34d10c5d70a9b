/**
 * Why a connection to an upstream could not be opened, in words that are safe to
 * show: the connector builds `detail` only from its own phrases, error codes, the
 * target's host and port and a proxy's label, never from a proxy URL or a peer's
 * message. It travels to the control plane as the attempt's CONNECTION_FAILURE detail.
 */

/** The stable codes of UpstreamConnectError. */
export type UpstreamConnectErrorCode =
  /** TCP or TLS to the upstream (no proxy) failed. */
  | "ERR_RELAY_CONNECT_FAILED"
  /** Opening the connection (tunnel included) took longer than the connect timeout. */
  | "ERR_RELAY_CONNECT_TIMEOUT"
  /** The proxy itself could not be reached. */
  | "ERR_RELAY_PROXY_UNREACHABLE"
  /** The proxy wants credentials, or refused the ones given. */
  | "ERR_RELAY_PROXY_AUTH"
  /** The proxy would not open a tunnel to the upstream. */
  | "ERR_RELAY_PROXY_REFUSED"
  /** The proxy answered something that is not its protocol, or hung up mid-handshake. */
  | "ERR_RELAY_PROXY_PROTOCOL"
  /** The (origin, proxy) pair is marked dead; nothing was tried. */
  | "ERR_RELAY_UPSTREAM_DEAD";

/** Thrown by (passed to undici from) the upstream connector when a connection cannot be opened. */
export class UpstreamConnectError extends Error {
  constructor(
    readonly code: UpstreamConnectErrorCode,
    /** Secret-free text for logs and outcomes. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = "UpstreamConnectError";
  }
}

/** True for an error (or a cause of it) raised while opening a connection, rather than on an open one. */
export function isConnectError(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === "object" && e !== null && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (code.startsWith("ERR_RELAY_CONNECT") || code.startsWith("ERR_RELAY_PROXY") || code === "ERR_RELAY_UPSTREAM_DEAD")) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The client side of an HTTP CONNECT tunnel (RFC 9110 §9.3.6) on an open socket
 * to the proxy, with Basic proxy authentication when the proxy URL carries
 * credentials. A 2xx answer makes the socket a tunnel to the target; anything
 * else is an UpstreamConnectError naming the proxy by its label and the status
 * it gave, never the credentials or the proxy's own text.
 */
import type { Socket } from "node:net";
import { UpstreamConnectError } from "./connect-error.js";
import type { ProxyTarget } from "./proxy-url.js";
import { readHttpHead } from "./socket-reader.js";

/** Opens a tunnel to `host:port` through the HTTP proxy at the other end of `socket`. */
export async function httpConnectHandshake(socket: Socket, proxy: ProxyTarget, host: string, port: number): Promise<void> {
  const authority = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const withCredentials = proxy.username !== "" || proxy.password !== "";
  const authorization = withCredentials
    ? `proxy-authorization: Basic ${Buffer.from(`${proxy.username}:${proxy.password}`, "utf8").toString("base64")}\r\n`
    : "";
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n${authorization}\r\n`);
  const head = await readHttpHead(socket, proxy.label);
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (!match) throw new UpstreamConnectError("ERR_RELAY_PROXY_PROTOCOL", `proxy ${proxy.label} did not answer CONNECT with HTTP`);
  const status = Number(match[1]);
  if (status >= 200 && status < 300) return;
  if (status === 407) {
    throw new UpstreamConnectError(
      "ERR_RELAY_PROXY_AUTH",
      withCredentials ? `proxy ${proxy.label} refused the credentials (407)` : `proxy ${proxy.label} requires credentials (407)`,
    );
  }
  throw new UpstreamConnectError("ERR_RELAY_PROXY_REFUSED", `proxy ${proxy.label} refused the tunnel to ${authority} (${status})`);
}

/**
 * The client side of a SOCKS5 CONNECT on an open socket to the proxy
 * (RFC 1928, with username/password authentication from RFC 1929): on success
 * the socket is a tunnel to the target. The target host goes to the proxy as a
 * name unless it is an IP literal, so the proxy resolves it (like `socks5h`).
 *
 * Failures are UpstreamConnectErrors whose detail names the proxy by its label;
 * the password is sent to the proxy and nowhere else.
 */
import { isIPv4, isIPv6, type Socket } from "node:net";
import { UpstreamConnectError } from "./connect-error.js";
import type { ProxyTarget } from "./proxy-url.js";
import { readExactly } from "./socket-reader.js";

const VERSION = 0x05;
const NO_AUTH = 0x00;
const USER_PASS = 0x02;
const NO_ACCEPTABLE = 0xff;

/** RFC 1928 §6 reply codes. */
const REPLIES: Readonly<Record<number, string>> = {
  0x01: "general failure",
  0x02: "connection not allowed by ruleset",
  0x03: "network unreachable",
  0x04: "host unreachable",
  0x05: "connection refused",
  0x06: "TTL expired",
  0x07: "command not supported",
  0x08: "address type not supported",
};

/** Opens a tunnel to `host:port` through the SOCKS5 proxy at the other end of `socket`. */
export async function socks5Handshake(socket: Socket, proxy: ProxyTarget, host: string, port: number): Promise<void> {
  const label = proxy.label;
  const withCredentials = proxy.username !== "" || proxy.password !== "";
  socket.write(withCredentials ? Buffer.from([VERSION, 2, NO_AUTH, USER_PASS]) : Buffer.from([VERSION, 1, NO_AUTH]));
  const [version, method] = await readExactly(socket, 2, label);
  if (version !== VERSION) throw protocolError(label, "is not a SOCKS5 proxy");
  if (method === NO_ACCEPTABLE) {
    throw new UpstreamConnectError(
      "ERR_RELAY_PROXY_AUTH",
      withCredentials ? `proxy ${label} accepts none of the offered authentication methods` : `proxy ${label} requires credentials`,
    );
  }
  if (method === USER_PASS) {
    if (!withCredentials) throw protocolError(label, "chose an authentication method that was not offered");
    await authenticate(socket, proxy);
  } else if (method !== NO_AUTH) {
    throw protocolError(label, "chose an authentication method that was not offered");
  }

  socket.write(Buffer.concat([Buffer.from([VERSION, 0x01, 0x00]), encodeAddress(host), Buffer.from([port >> 8, port & 0xff])]));
  const reply = await readExactly(socket, 4, label);
  if (reply[0] !== VERSION) throw protocolError(label, "sent a malformed reply");
  const code = reply[1] ?? 0;
  if (code !== 0x00) {
    throw new UpstreamConnectError("ERR_RELAY_PROXY_REFUSED", `proxy ${label} could not connect to ${host}:${port}: ${REPLIES[code] ?? `reply ${code}`}`);
  }
  // The bound address that follows is of no use here, but must be read past.
  const addressType = reply[3];
  const addressBytes = addressType === 0x01 ? 4 : addressType === 0x04 ? 16 : addressType === 0x03 ? ((await readExactly(socket, 1, label))[0] ?? 0) : -1;
  if (addressBytes < 0) throw protocolError(label, "sent a reply with an unknown address type");
  await readExactly(socket, addressBytes + 2, label);
}

/** RFC 1929 username/password sub-negotiation. */
async function authenticate(socket: Socket, proxy: ProxyTarget): Promise<void> {
  const username = Buffer.from(proxy.username, "utf8");
  const password = Buffer.from(proxy.password, "utf8");
  if (username.length > 255 || password.length > 255) {
    throw new UpstreamConnectError("ERR_RELAY_PROXY_AUTH", `proxy ${proxy.label}: username and password must be at most 255 bytes each`);
  }
  socket.write(Buffer.concat([Buffer.from([0x01, username.length]), username, Buffer.from([password.length]), password]));
  const [, status] = await readExactly(socket, 2, proxy.label);
  if (status !== 0x00) throw new UpstreamConnectError("ERR_RELAY_PROXY_AUTH", `proxy ${proxy.label} refused the credentials`);
}

function encodeAddress(host: string): Buffer {
  if (isIPv4(host)) return Buffer.from([0x01, ...host.split(".").map(Number)]);
  if (isIPv6(host)) return Buffer.concat([Buffer.from([0x04]), ipv6Bytes(host)]);
  const name = Buffer.from(host, "utf8");
  return Buffer.concat([Buffer.from([0x03, Math.min(name.length, 255)]), name.subarray(0, 255)]);
}

/** The 16 bytes of an IPv6 literal (`::` expanded, an embedded IPv4 tail allowed). */
function ipv6Bytes(host: string): Buffer {
  let text = host;
  const groups: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const [a = 0, b = 0, c = 0, d = 0] = v4[1].split(".").map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const parse = (part: string): number[] => (part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16)));
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  groups.push(...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back);
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  return bytes;
}

function protocolError(label: string, what: string): UpstreamConnectError {
  return new UpstreamConnectError("ERR_RELAY_PROXY_PROTOCOL", `proxy ${label} ${what}`);
}

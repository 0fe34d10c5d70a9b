/**
 * An account's proxy URL, read once: the kind of tunnel, where the proxy is, the
 * credentials it wants, and a label that names it without them. The label is the
 * only form of a proxy that may reach a log line, a metric or an outcome detail.
 */

/** A proxy the relay can tunnel through. */
export interface ProxyTarget {
  /** `http`/`https`: an HTTP CONNECT tunnel (to a plain or TLS proxy); `socks5`: a SOCKS5 CONNECT. */
  kind: "http" | "https" | "socks5";
  /** Host name or IP literal, without IPv6 brackets. */
  host: string;
  port: number;
  /** Decoded; empty when the URL carries none. */
  username: string;
  password: string;
  /** `scheme://host:port`: never credentials. */
  label: string;
}

/** The parsed proxy, or why it cannot be used. */
export type ProxyParse = { ok: true; proxy: ProxyTarget } | { ok: false; detail: string };

const DEFAULT_PORTS: Readonly<Record<ProxyTarget["kind"], number>> = { http: 80, https: 443, socks5: 1080 };

/** Parses `http://`, `https://`, `socks5://` (or `socks://`) proxy URLs; the detail of a refusal never echoes the URL. */
export function parseProxyUrl(raw: string): ProxyParse {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, detail: "proxy URL is not valid" };
  }
  const kind = kindOf(url.protocol);
  if (kind === undefined) return { ok: false, detail: `proxy scheme ${safeScheme(url.protocol)} is not supported` };
  if (url.hostname === "") return { ok: false, detail: "proxy URL has no host" };
  const port = url.port === "" ? DEFAULT_PORTS[kind] : Number(url.port);
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  let username: string;
  let password: string;
  try {
    username = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch {
    return { ok: false, detail: "proxy credentials are not valid percent-encoding" };
  }
  return { ok: true, proxy: { kind, host, port, username, password, label: `${kind}://${url.hostname}:${port}` } };
}

function kindOf(protocol: string): ProxyTarget["kind"] | undefined {
  switch (protocol) {
    case "http:":
      return "http";
    case "https:":
      return "https";
    case "socks5:":
    case "socks5h:":
    case "socks:":
      return "socks5";
    default:
      return undefined;
  }
}

function safeScheme(protocol: string): string {
  return protocol.replace(/[^a-z0-9+.:-]/gi, "").slice(0, 20);
}

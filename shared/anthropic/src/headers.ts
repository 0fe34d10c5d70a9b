/**
 * Header filtering at the relay's two crossings: client → upstream and upstream → client.
 *
 * Hop-by-hop headers (RFC 9110 §7.6.1: `connection` and every header it names, plus the
 * classic list) describe one connection and never cross the relay. On the way up the
 * client's credentials go too, so the caller can add the account's; everything else
 * (`anthropic-version`, `anthropic-beta`, `user-agent`, `x-app`, `x-stainless-*`, …)
 * passes untouched, since clients depend on headers we have never heard of. Adding
 * credentials is left to the caller.
 */
import type { IncomingHttpHeaders } from "node:http";

/** Dropped in both directions. */
const HOP_BY_HOP = ["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"];

/**
 * Dropped on the way up: the request is re-sent on another connection (so `host`,
 * `expect` and `content-length` are the new connection's business) under the account's
 * credentials instead of the client's.
 */
const DROPPED_UPSTREAM: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  "expect",
  "host",
  "content-length",
  "x-api-key",
  "authorization",
  "cookie",
]);

/** Dropped on the way down; `content-length`, `request-id`, `retry-after` and the rest stay. */
const DROPPED_DOWNSTREAM: ReadonlySet<string> = new Set(HOP_BY_HOP);

type HeaderValue = string | string[];

/** The client's headers minus hop-by-hop headers and its credentials, ready for the upstream request. */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders): Record<string, HeaderValue> {
  return filterHeaders(incoming, DROPPED_UPSTREAM);
}

/** The upstream response headers minus hop-by-hop headers, ready for the client. */
export function clientResponseHeaders(upstream: Record<string, HeaderValue | undefined>): Record<string, HeaderValue> {
  return filterHeaders(upstream, DROPPED_DOWNSTREAM);
}

function filterHeaders(headers: Record<string, HeaderValue | undefined>, dropped: ReadonlySet<string>): Record<string, HeaderValue> {
  const out: Record<string, HeaderValue> = {};
  let named: Set<string> | undefined;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    // Node and undici already lower-case names; other callers may not.
    const key = name.toLowerCase();
    if (key === "connection") named = connectionNamed(value, named);
    if (dropped.has(key) || key.startsWith("proxy-") || key.charCodeAt(0) === 0x3a /* ":" pseudo-header */) continue;
    out[name] = value;
  }
  // Rare: `connection` usually says only keep-alive or close, which name no header here.
  if (named !== undefined) {
    for (const name of Object.keys(out)) if (named.has(name.toLowerCase())) delete out[name];
  }
  return out;
}

/** Adds the header names listed in `connection` (RFC 9110 §7.6.1), lower-cased, to `names`; undefined when there are none. */
function connectionNamed(value: HeaderValue, names: Set<string> | undefined): Set<string> | undefined {
  for (const line of Array.isArray(value) ? value : [value]) {
    for (const token of line.split(",")) {
      const name = token.trim().toLowerCase();
      if (name === "" || name === "keep-alive" || name === "close") continue;
      names ??= new Set<string>();
      names.add(name);
    }
  }
  return names;
}

/**
 * Connections to the upstreams: one undici dispatcher per (origin, proxy), created
 * on first use and kept for the life of the relay, so every request after the
 * first reuses a warm keep-alive connection. A direct origin gets a Pool; an
 * account behind an HTTP(S) proxy gets a ProxyAgent (CONNECT tunnel), behind a
 * SOCKS5 proxy a Socks5ProxyAgent. Credentials in the proxy URL are used for the
 * proxy only and never appear in a log line or an outcome.
 */
import { type Dispatcher, Pool, ProxyAgent, Socks5ProxyAgent } from "undici";

/** Options of createUpstreamPools. */
export interface UpstreamPoolsOptions {
  /** Connections per dispatcher. */
  connections: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  /** Longest silence inside a response body. */
  bodyTimeoutMs: number;
}

/** A dispatcher for an (origin, proxy) pair, or why there can be none. */
export type PoolLookup = { ok: true; dispatcher: Dispatcher } | { ok: false; detail: string };

/** The relay's upstream connection pools. */
export interface UpstreamPools {
  /** The dispatcher for `origin` through `proxyUrl` (empty for direct). */
  get(origin: string, proxyUrl: string): PoolLookup;
  /** Closes every pool; requests still running are destroyed. */
  close(): Promise<void>;
}

/** Creates the (origin, proxy) → dispatcher map. */
export function createUpstreamPools(options: UpstreamPoolsOptions): UpstreamPools {
  const dispatchers = new Map<string, Dispatcher>();
  const common = {
    connections: options.connections,
    pipelining: 1,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    // Upstreams announce their own keep-alive; this is the bound when they do not.
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    connect: { timeout: options.connectTimeoutMs },
  };

  function build(origin: string, proxyUrl: string): PoolLookup {
    if (proxyUrl === "") return { ok: true, dispatcher: new Pool(origin, common) };
    let proxy: URL;
    try {
      proxy = new URL(proxyUrl);
    } catch {
      return { ok: false, detail: "proxy URL is not valid" };
    }
    switch (proxy.protocol) {
      case "http:":
      case "https:":
        return { ok: true, dispatcher: new ProxyAgent({ ...common, uri: proxyUrl }) };
      case "socks5:":
      case "socks:":
        // It dials the proxy with its own connector, so only the timeouts apply here.
        return { ok: true, dispatcher: new Socks5ProxyAgent(proxyUrl, { ...common, connect: undefined }) };
      default:
        return { ok: false, detail: `proxy scheme ${proxy.protocol} is not supported` };
    }
  }

  return {
    get(origin, proxyUrl) {
      const key = proxyUrl === "" ? origin : `${origin} via ${proxyUrl}`;
      const existing = dispatchers.get(key);
      if (existing) return { ok: true, dispatcher: existing };
      const built = build(origin, proxyUrl);
      if (built.ok) dispatchers.set(key, built.dispatcher);
      return built;
    },
    async close() {
      const all = [...dispatchers.values()];
      dispatchers.clear();
      await Promise.allSettled(all.map((dispatcher) => dispatcher.destroy()));
    },
  };
}

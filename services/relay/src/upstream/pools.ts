/**
 * The connection manager: one undici Pool per (upstream origin, proxy), created on
 * first use, with keep-alive, a bound on its sockets, and a connector that
 * tunnels through the account's proxy when it has one (connector.ts). Direct and
 * proxied upstreams are the same kind of Pool, so each has the same stats in
 * /metrics (pool-metrics.ts).
 *
 * It owns three lifecycles: a pool unused for `idleEvictMs` (and idle) is closed;
 * a pair whose connects keep failing is marked dead and fails fast until a
 * background TCP probe gets through (origin-health.ts); and origins named for
 * warm-up get connections opened at start and are never evicted. Proxy
 * credentials are used for the proxy only; a pool is known by its proxy's label.
 */
import type { Logger } from "@claude-relay/logging";
import type { Registry } from "@claude-relay/metrics";
import { type Dispatcher, Pool } from "undici";
import { createConnector } from "./connector.js";
import { createOriginHealth, type OriginHealth } from "./origin-health.js";
import { type PoolInstruments, type PoolSnapshot, registerPoolMetrics } from "./pool-metrics.js";
import { parseProxyUrl } from "./proxy-url.js";
import { tcpProbe } from "./tcp-probe.js";

/** Options of createUpstreamPools. */
export interface UpstreamPoolsOptions {
  /** Most sockets per pool. */
  connections: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  /** Longest silence inside a response body. */
  bodyTimeoutMs: number;
  /** A pool unused for this long, with nothing running, is closed. */
  idleEvictMs: number;
  /** Failed connects in a row that mark a pair dead. */
  deadAfterFailures: number;
  /** Probe period of a dead pair. */
  probeIntervalMs: number;
  registry: Registry;
  log: Logger;
}

/** A pool handed to one attempt. */
export interface UpstreamPool {
  readonly dispatcher: Dispatcher;
  /** Counts a failure on an open connection (reset, timeout) in the pool's error metric. */
  requestFailed(): void;
}

/** The pool for an (origin, proxy) pair, or why the attempt cannot be made. */
export type PoolLookup = { ok: true; pool: UpstreamPool } | { ok: false; detail: string };

/** What warming one origin gave. */
export interface WarmResult {
  origin: string;
  /** Connections open once the warm-up requests ended. */
  connected: number;
  failed: number;
}

/** The relay's upstream connection pools. */
export interface UpstreamPools {
  /** The pool for `origin` through `proxyUrl` (empty for direct). */
  get(origin: string, proxyUrl: string): PoolLookup;
  /**
   * Opens `connections` connections to each origin, direct, and keeps those pools
   * from eviction. undici 7 opens a connection only for a request (its `connect()`
   * is the HTTP CONNECT method), so each one is opened by a concurrent `HEAD /`
   * kept alive afterwards: no credentials, no body, any status will do.
   */
  warm(origins: readonly string[], connections: number): Promise<WarmResult[]>;
  /** The live pools, as the metrics see them. */
  snapshot(): PoolSnapshot[];
  /** Closes every pool; requests still running are destroyed. */
  close(): Promise<void>;
}

interface Entry {
  origin: string;
  proxy: string;
  pool: Pool;
  health: OriginHealth;
  lastUsedMs: number;
  pinned: boolean;
  /** Built once per pool, so a lookup allocates nothing. */
  found: PoolLookup;
  dead: PoolLookup;
}

/** Creates the (origin, proxy) → pool map. */
export function createUpstreamPools(options: UpstreamPoolsOptions): UpstreamPools {
  const { log } = options;
  const entries = new Map<string, Entry>();
  const metrics = registerPoolMetrics(options.registry, () => snapshot());
  const sweeper = setInterval(sweep, Math.max(250, Math.min(options.idleEvictMs, 60_000) / 2));
  sweeper.unref();

  function snapshot(): PoolSnapshot[] {
    return [...entries.values()].map((entry) => ({ origin: entry.origin, proxy: entry.proxy, stats: entry.pool.stats, dead: entry.health.dead }));
  }

  function create(origin: string, proxyUrl: string): Entry | { ok: false; detail: string } {
    const parsed = proxyUrl === "" ? undefined : parseProxyUrl(proxyUrl);
    if (parsed && !parsed.ok) return parsed;
    const proxy = parsed?.proxy;
    const label = proxy?.label ?? "direct";
    const instruments: PoolInstruments = metrics.forPool(origin, label);
    const hop = proxy ?? hostAndPort(origin);
    const where = proxy ? `${origin} via proxy ${label}` : origin;
    let lastFailure = "";
    const health = createOriginHealth({
      deadAfterFailures: options.deadAfterFailures,
      probeIntervalMs: options.probeIntervalMs,
      probe: () => tcpProbe(hop.host, hop.port, options.connectTimeoutMs),
      onChange(dead) {
        if (dead) {
          entry.dead = { ok: false, detail: `${where} is marked unreachable after ${options.deadAfterFailures} failed connects (last: ${lastFailure})` };
          instruments.markedDead();
          log.warn({ origin, proxy: label, failures: options.deadAfterFailures, detail: lastFailure }, "upstream marked dead after failed connects; probing");
        } else {
          log.info({ origin, proxy: label }, "upstream reachable again");
        }
      },
    });
    const connect = createConnector({
      proxy,
      timeoutMs: options.connectTimeoutMs,
      onConnected(ms) {
        instruments.observeConnect(ms / 1000);
        health.connected();
      },
      onFailed(error) {
        instruments.connectError();
        // A proxy that refuses the credentials is up: that is the account's problem, not the pair's.
        if (error.code === "ERR_RELAY_PROXY_AUTH") return;
        lastFailure = error.detail;
        health.failed();
      },
    });
    const pool = new Pool(origin, {
      connections: options.connections,
      pipelining: 1,
      headersTimeout: options.headersTimeoutMs,
      bodyTimeout: options.bodyTimeoutMs,
      // Upstreams announce their own keep-alive; this is the bound when they do not.
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connect,
    });
    const entry: Entry = {
      origin,
      proxy: label,
      pool,
      health,
      lastUsedMs: Date.now(),
      pinned: false,
      found: { ok: true, pool: { dispatcher: pool, requestFailed: () => instruments.requestError() } },
      dead: { ok: false, detail: `${where} is marked unreachable` },
    };
    return entry;
  }

  function entryFor(origin: string, proxyUrl: string): Entry | { ok: false; detail: string } {
    const key = proxyUrl === "" ? origin : `${origin} ${proxyUrl}`;
    const existing = entries.get(key);
    if (existing) return existing;
    const created = create(origin, proxyUrl);
    if ("pool" in created) entries.set(key, created);
    return created;
  }

  function sweep(): void {
    const now = Date.now();
    for (const [key, entry] of entries) {
      if (entry.pinned || now - entry.lastUsedMs < options.idleEvictMs) continue;
      const stats = entry.pool.stats;
      if (stats.running > 0 || stats.pending > 0) continue;
      entries.delete(key);
      retire(entry);
      entry.pool.close().catch(() => {});
      log.debug({ origin: entry.origin, proxy: entry.proxy }, "idle upstream pool closed");
    }
  }

  function retire(entry: Entry): void {
    entry.health.close();
    metrics.remove(entry.origin, entry.proxy);
  }

  return {
    get(origin, proxyUrl) {
      const entry = entryFor(origin, proxyUrl);
      if (!("pool" in entry)) return entry;
      entry.lastUsedMs = Date.now();
      return entry.health.dead ? entry.dead : entry.found;
    },
    async warm(origins, connections) {
      return Promise.all(
        origins.map(async (origin) => {
          const entry = entryFor(origin, "");
          if (!("pool" in entry)) return { origin, connected: 0, failed: connections };
          entry.pinned = true;
          const { pool } = entry;
          const results = await Promise.allSettled(
            Array.from({ length: connections }, () =>
              // undici closes a connection after a HEAD unless told not to (reset: false).
              pool.request({ method: "HEAD", path: "/", reset: false, headers: { "user-agent": "claude-relay (warm-up)" } }).then((res) => res.body.dump()),
            ),
          );
          return { origin, connected: pool.stats.connected, failed: results.filter((r) => r.status === "rejected").length };
        }),
      );
    },
    snapshot,
    async close() {
      clearInterval(sweeper);
      const all = [...entries.values()];
      entries.clear();
      for (const entry of all) retire(entry);
      await Promise.allSettled(all.map((entry) => entry.pool.destroy()));
    },
  };
}

function hostAndPort(origin: string): { host: string; port: number } {
  const url = new URL(origin);
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return { host, port: Number(url.port) || (url.protocol === "https:" ? 443 : 80) };
}

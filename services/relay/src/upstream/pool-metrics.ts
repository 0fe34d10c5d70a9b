/**
 * The upstream pools' Prometheus metrics, labelled `origin` and `proxy` (the
 * proxy's label, `scheme://host:port`, or "direct"): the undici pool stats read
 * at scrape time, connect times, errors, and whether the pair is marked dead.
 * Label sets stay bounded because a pool's series are removed with the pool.
 */
import { Counter, Gauge, Histogram, type Registry } from "@claude-relay/metrics";

/** One live pool as the metrics see it. */
export interface PoolSnapshot {
  origin: string;
  proxy: string;
  stats: { connected: number; free: number; pending: number; running: number; size: number };
  dead: boolean;
}

/** The instruments one pool updates, bound to its labels once. */
export interface PoolInstruments {
  observeConnect(seconds: number): void;
  connectError(): void;
  requestError(): void;
  markedDead(): void;
}

/** The pools' metrics. */
export interface PoolMetrics {
  /** Binds the per-pool instruments to a pool's labels. */
  forPool(origin: string, proxy: string): PoolInstruments;
  /** Drops a closed pool's series. */
  remove(origin: string, proxy: string): void;
}

type Stat = keyof PoolSnapshot["stats"];

const STATS: ReadonlyArray<[Stat, string]> = [
  ["connected", "Open connections."],
  ["free", "Open connections with no request on them."],
  ["pending", "Requests waiting for a connection."],
  ["running", "Requests being sent or answered."],
  ["size", "Requests queued or running."],
];

/** Registers the pool metrics on `registry`; `snapshot` lists the live pools at scrape time. */
export function registerPoolMetrics(registry: Registry, snapshot: () => Iterable<PoolSnapshot>): PoolMetrics {
  const registers = [registry];
  const labelNames = ["origin", "proxy"] as const;
  for (const [stat, help] of STATS) {
    new Gauge({
      name: `relay_upstream_pool_${stat}`,
      help: `${help} Per upstream dispatcher (undici Pool stats).`,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const pool of snapshot()) this.set({ origin: pool.origin, proxy: pool.proxy }, pool.stats[stat]);
      },
    });
  }
  new Gauge({
    name: "relay_upstream_dead",
    help: "1 while an (origin, proxy) pair is marked dead after repeated failed connects; attempts on it fail at once.",
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const pool of snapshot()) this.set({ origin: pool.origin, proxy: pool.proxy }, pool.dead ? 1 : 0);
    },
  });
  const connectSeconds = new Histogram({
    name: "relay_upstream_connect_seconds",
    help: "Time to open an upstream connection, proxy handshake and TLS included.",
    labelNames,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const errors = new Counter({
    name: "relay_upstream_errors_total",
    help: "Upstream failures per dispatcher: stage=connect (could not open a connection), stage=request (failed on an open one).",
    labelNames: ["origin", "proxy", "stage"],
    registers,
  });
  const markedDead = new Counter({
    name: "relay_upstream_marked_dead_total",
    help: "Times an (origin, proxy) pair was marked dead.",
    labelNames,
    registers,
  });

  return {
    forPool(origin, proxy) {
      const connect = connectSeconds.labels(origin, proxy);
      const connectErrors = errors.labels(origin, proxy, "connect");
      const requestErrors = errors.labels(origin, proxy, "request");
      // Exported at zero from the first use of a pool, so the error ratio's rate() has a series before the first error.
      connectErrors.inc(0);
      requestErrors.inc(0);
      const dead = markedDead.labels(origin, proxy);
      return {
        observeConnect: (seconds) => connect.observe(seconds),
        connectError: () => connectErrors.inc(),
        requestError: () => requestErrors.inc(),
        markedDead: () => dead.inc(),
      };
    },
    remove(origin, proxy) {
      connectSeconds.remove(origin, proxy);
      errors.remove(origin, proxy, "connect");
      errors.remove(origin, proxy, "request");
      markedDead.remove(origin, proxy);
    },
  };
}

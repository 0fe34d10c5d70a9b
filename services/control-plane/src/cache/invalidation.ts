/**
 * Cache invalidation across replicas. Every write to an account, an API key,
 * a model alias or a price is announced as `{kind, id}` on one pub/sub channel; each replica listens
 * on a connection of its own and drops its cached copy. This module owns the
 * channel and the subscriber's lifecycle; what a cache keeps is its own.
 *
 * Messages published while a subscriber is disconnected are lost, so the
 * subscriber tells its listeners to drop everything when it loses its
 * connection and again once it is subscribed anew, and reports `live` only
 * between a confirmed SUBSCRIBE and the next disconnection. Caches serve
 * entries only while `live`.
 */
import type { Logger } from "@claude-relay/logging";
import type { Redis } from "ioredis";

/** The kinds of record a change may name. */
const CHANGE_KINDS = ["account", "api-key", "model-alias", "price"] as const;

/** One changed record: an account or an API key by id, a model alias by its name, or a model's price by the model ("*" for many). */
export interface CatalogChange {
  kind: (typeof CHANGE_KINDS)[number];
  id: string;
}

/** What a listener is told: one record changed, or anything may have. */
export type Invalidation = CatalogChange | "all";

/** The publishing side, handed to the stores. */
export interface CatalogChanges {
  /** Drops the record from this replica's caches at once, then tells every replica. */
  publish(change: CatalogChange): Promise<void>;
}

/** Both sides of the channel for one replica. */
export interface CacheInvalidation extends CatalogChanges {
  /** True while subscribed; caches must not serve entries otherwise. */
  readonly live: boolean;
  /** Calls listener on every invalidation; returns the unsubscribe function. */
  onInvalidate(listener: (invalidation: Invalidation) => void): () => void;
  /** Starts the subscriber (in the background; it retries until closed). */
  start(): void;
  /** Stops the subscriber for good. */
  close(): Promise<void>;
}

/** Options of createCacheInvalidation. */
export interface CacheInvalidationOptions {
  /** The channel name (RedisKeys.cacheInvalidation()). */
  channel: string;
  /** Sends PUBLISH; the shared command client (a Cluster broadcasts to every node). */
  publisher: { publish(channel: string, message: string): Promise<unknown> };
  /** Opens a fresh, not yet connected subscriber connection that does not reconnect by itself. */
  connect: (attempt: number) => Redis;
  log: Logger;
  /** Delay before reconnecting, by consecutive failures (default 100 ms doubling to 2 s). */
  backoffMs?: (failures: number) => number;
}

/** Builds the invalidation channel for one replica. */
export function createCacheInvalidation(options: CacheInvalidationOptions): CacheInvalidation {
  const { channel, publisher, log } = options;
  const backoffMs = options.backoffMs ?? ((failures: number) => Math.min(100 * 2 ** failures, 2_000));
  const listeners = new Set<(invalidation: Invalidation) => void>();
  let live = false;
  let closed = false;
  let started = false;
  let attempt = 0;
  let failures = 0;
  let current: Redis | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const deliver = (invalidation: Invalidation) => {
    for (const listener of listeners) listener(invalidation);
  };

  const goDown = (reason: string) => {
    if (!live) return;
    live = false;
    deliver("all");
    log.warn({ reason }, "cache invalidation subscriber lost; caches bypassed until it is back");
  };

  const connect = () => {
    if (closed) return;
    const conn = options.connect(attempt++);
    current = conn;
    conn.on("error", () => {
      // Connection errors surface as "end" below; the command client logs Redis trouble already.
    });
    conn.on("message", (from: string, message: string) => {
      if (from === channel && conn === current) deliver(parseChange(message));
    });
    conn.once("end", () => {
      if (conn !== current) return;
      goDown("connection closed");
      if (closed) return;
      retryTimer = setTimeout(connect, backoffMs(failures++));
      retryTimer.unref();
    });
    conn
      .connect()
      .then(() => conn.subscribe(channel))
      .then(() => {
        if (conn !== current || closed) return;
        failures = 0;
        // Anything published before SUBSCRIBE took effect was missed: start from empty.
        deliver("all");
        live = true;
        log.debug({ channel }, "cache invalidation subscribed");
      })
      .catch(() => conn.disconnect());
  };

  return {
    get live() {
      return live;
    },

    onInvalidate(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async publish(change) {
      deliver(change);
      await publisher.publish(channel, JSON.stringify(change));
    },

    start() {
      if (started || closed) return;
      started = true;
      connect();
    },

    async close() {
      closed = true;
      clearTimeout(retryTimer);
      live = false;
      deliver("all");
      const conn = current;
      current = undefined;
      if (conn) await conn.quit().catch(() => conn.disconnect());
    },
  };
}

/** A message as a change; anything unexpected invalidates everything, the safe answer. */
export function parseChange(message: string): Invalidation {
  try {
    const value = JSON.parse(message) as Partial<CatalogChange>;
    if (CHANGE_KINDS.includes(value.kind as CatalogChange["kind"]) && typeof value.id === "string") return { kind: value.kind as CatalogChange["kind"], id: value.id };
  } catch {
    // fall through
  }
  return "all";
}

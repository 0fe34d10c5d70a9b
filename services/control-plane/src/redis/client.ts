/**
 * The Redis connection: one server or a Redis Cluster. Commands fail fast
 * while Redis is away (one retry, a command timeout) so the hot path answers
 * UNAVAILABLE instead of hanging; the client keeps reconnecting in the
 * background.
 *
 * On a cluster every Lua script and every MULTI/pipeline must stay inside one
 * hash slot (redis/keys.ts tags keys by owner). Work that spans owners is
 * issued as separate commands in the same tick: auto-pipelining groups them
 * per node into one write each, so it still costs one round trip.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";

/** A client for one server or for a cluster; both speak the same commands. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one server, or the seed nodes of a cluster (the other nodes are discovered). */
export type RedisTarget =
  | { mode: "server"; url: string }
  | {
      mode: "cluster";
      /** One `redis://` or `rediss://` URL per seed node, each carrying the credentials. */
      nodes: string[];
    };

/** Options of createRedis and createRedisClient beyond the address. */
export interface RedisClientOptions {
  /** A command that gets no reply within this time fails (default 2000 ms). */
  commandTimeoutMs?: number;
  /** Connection name shown by CLIENT LIST. */
  connectionName?: string;
}

/** Thrown by parseRedisTarget when the address cannot name a Redis. */
export class RedisTargetError extends Error {
  readonly code = "ERR_REDIS_TARGET";
  constructor(message: string) {
    super(message);
    this.name = "RedisTargetError";
  }
}

const CLUSTER_PROTOCOLS: Record<string, string> = { "redis+cluster:": "redis:", "rediss+cluster:": "rediss:" };

/**
 * Reads REDIS_URL and REDIS_CLUSTER_NODES. A `redis+cluster://` (or
 * `rediss+cluster://`) URL, or any cluster node list, means a cluster whose
 * seeds are the URL's host and every `host:port` in the list; the URL's
 * credentials and TLS apply to every node.
 */
export function parseRedisTarget(redisUrl: string, clusterNodes = ""): RedisTarget {
  let url: URL;
  try {
    url = new URL(redisUrl);
  } catch {
    throw new RedisTargetError("REDIS_URL is not a valid URL");
  }
  const extra = clusterNodes
    .split(",")
    .map((node) => node.trim())
    .filter(Boolean);
  const clusterProtocol = CLUSTER_PROTOCOLS[url.protocol];
  if (clusterProtocol === undefined && extra.length === 0) return { mode: "server", url: redisUrl };

  const protocol = clusterProtocol ?? url.protocol;
  const auth = url.username || url.password ? `${url.username}:${url.password}@` : "";
  const seeds = [`${url.hostname}:${url.port || "6379"}`, ...extra];
  const nodes = [...new Set(seeds)].map((seed) => {
    if (!/^[^\s/:@]+:\d{1,5}$/.test(seed)) throw new RedisTargetError(`cluster node "${seed}" must be host:port`);
    return `${protocol}//${auth}${seed}`;
  });
  return { mode: "cluster", nodes };
}

/** Opens an ioredis client for one redis:// or rediss:// server. */
export function createRedis(url: string, options: RedisClientOptions = {}): Redis {
  return new Redis(url, serverOptions(options));
}

/** Opens a client for a target: a Redis for one server, a Cluster for a cluster. */
export function createRedisClient(target: RedisTarget, options: RedisClientOptions = {}): RedisClient {
  if (target.mode === "server") return createRedis(target.url, options);
  const first = new URL(target.nodes[0] ?? "redis://127.0.0.1:6379");
  const clusterOptions: ClusterOptions = {
    redisOptions: {
      ...serverOptions(options),
      ...(first.username && { username: decodeURIComponent(first.username) }),
      ...(first.password && { password: decodeURIComponent(first.password) }),
      ...(first.protocol === "rediss:" && { tls: {} }),
    },
    enableAutoPipelining: true,
    // Reconnect forever, like the single-server client; commands fail fast meanwhile.
    clusterRetryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    slotsRefreshTimeout: 2_000,
  };
  return new Cluster(
    target.nodes.map((node) => {
      const url = new URL(node);
      return { host: url.hostname, port: Number(url.port || 6379) };
    }),
    clusterOptions,
  );
}

/**
 * A plain connection to one node that does not reconnect by itself, for a
 * subscriber that wants to see every reconnection. `attempt` rotates over a
 * cluster's seed nodes: PUBLISH on a cluster reaches every node, so any one
 * will do, and a node that stays down is skipped on the next attempt.
 */
export function createNodeConnection(target: RedisTarget, attempt: number, options: RedisClientOptions = {}): Redis {
  const urls = target.mode === "server" ? [target.url] : target.nodes;
  const url = urls[attempt % urls.length] as string;
  return new Redis(url, {
    ...serverOptions(options),
    lazyConnect: true,
    retryStrategy: () => null,
    autoResubscribe: false,
    enableOfflineQueue: false,
  });
}

function serverOptions(options: RedisClientOptions): RedisOptions {
  return {
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    connectionName: options.connectionName ?? "claude-relay-control-plane",
    // Commands issued in the same tick go out as one write; Acquire issues its
    // independent reads and slot scripts together.
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
  };
}

/**
 * The Redis connection. Commands fail fast while Redis is away (one retry, a
 * command timeout) so the hot path answers UNAVAILABLE instead of hanging;
 * the client keeps reconnecting in the background.
 */
import { Redis, type RedisOptions } from "ioredis";

/** Options of createRedis beyond the URL. */
export interface RedisClientOptions {
  /** A command that gets no reply within this time fails (default 2000 ms). */
  commandTimeoutMs?: number;
  /** Connection name shown by CLIENT LIST. */
  connectionName?: string;
}

/** Opens an ioredis client for a redis:// or rediss:// URL. */
export function createRedis(url: string, options: RedisClientOptions = {}): Redis {
  const redisOptions: RedisOptions = {
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    connectionName: options.connectionName ?? "claude-relay-control-plane",
    // Commands issued in the same tick go out as one write; Acquire issues its
    // independent reads and slot scripts together.
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
  };
  return new Redis(url, redisOptions);
}

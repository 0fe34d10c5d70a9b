/**
 * Whether Redis answers right now: PING within a deadline. Used by readiness
 * checks, which must answer quickly even while Redis hangs.
 */
import type { RedisClient } from "./client.js";

/** Resolves true when PING gets PONG within timeoutMs; false on an error or a timeout. */
export async function pingRedis(redis: Pick<RedisClient, "ping">, timeoutMs = 1_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([redis.ping().then((reply) => reply === "PONG"), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A lock across replicas: `SET key token NX PX ttl` to take it, and a Lua
 * compare-and-delete (unlock.lua) to give it back only while the caller still
 * holds it. The TTL bounds how long a crashed holder blocks the others. This
 * is a single-instance lock (no Redlock): it relies on the one Redis (or the
 * one cluster primary of the key's slot) that holds all our state anyway.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { RedisClient } from "./client.js";
import { defineLuaCommand } from "./lua-command.js";

/** Locks over one Redis client. */
export interface RedisLock {
  /** Takes the lock for ttlMs; the token to release it with, or undefined when another holder has it. */
  tryAcquire(key: string, ttlMs: number): Promise<string | undefined>;
  /** Gives the lock back; false when it had expired or was taken by another holder since. */
  release(key: string, token: string): Promise<boolean>;
  /** Polls until the lock is free (true) or timeoutMs of real time pass (false). */
  waitUntilFree(key: string, timeoutMs: number, pollMs?: number): Promise<boolean>;
}

/** Builds the lock helpers over a client. */
export function createRedisLock(redis: RedisClient): RedisLock {
  const unlock = defineLuaCommand(redis, "crUnlock", "unlock", 1);
  return {
    async tryAcquire(key, ttlMs) {
      const token = randomBytes(16).toString("hex");
      return (await redis.set(key, token, "PX", ttlMs, "NX")) === "OK" ? token : undefined;
    },
    async release(key, token) {
      return (await unlock([key], [token])) === 1;
    },
    async waitUntilFree(key, timeoutMs, pollMs = 50) {
      // Real elapsed time, not the domain clock: a test's frozen clock must not wait forever.
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        if ((await redis.exists(key)) === 0) return true;
        if (performance.now() >= deadline) return false;
        await sleep(pollMs);
      }
    },
  };
}

/**
 * Admin sessions: random bearer tokens (32 bytes, base64url) of which Redis
 * holds only the SHA-256, so a Redis dump cannot be replayed as a login.
 * Sessions expire by Redis TTL and, as a second check, by their recorded
 * expiry against the injected clock. Each admin's token hashes are also
 * indexed (scored by expiry), so all of an admin's other sessions can be ended
 * at once, as a password change does.
 */
import { createHash, randomBytes } from "node:crypto";
import type { RedisCommander } from "ioredis";
import type { RedisKeys } from "../redis/keys.js";

/** Twelve hours. */
export const DEFAULT_ADMIN_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** A signed-in admin. */
export interface AdminSession {
  username: string;
  createdAtMs: number;
  expiresAtMs: number;
}

/** Creates, checks and ends admin sessions. */
export interface AdminSessions {
  /** Starts a session; the token is returned here and never stored. */
  create(username: string): Promise<{ token: string; session: AdminSession }>;
  /** The session a token belongs to, or undefined when it is unknown, revoked or expired. */
  verify(token: string): Promise<AdminSession | undefined>;
  /** Ends a session; true when it existed. */
  revoke(token: string): Promise<boolean>;
  /** Ends every session of `username` except the one of `keepToken`; resolves with how many were ended. */
  revokeOthers(username: string, keepToken: string): Promise<number>;
}

/** Options of createAdminSessions. */
export interface AdminSessionsOptions {
  redis: RedisCommander;
  keys: Pick<RedisKeys, "adminSession" | "adminUserSessions">;
  ttlMs?: number;
  now?: () => number;
}

/** Admin sessions stored hashed in Redis with a TTL. */
export function createAdminSessions({ redis, keys, ttlMs = DEFAULT_ADMIN_SESSION_TTL_MS, now = Date.now }: AdminSessionsOptions): AdminSessions {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`admin session TTL must be a positive integer of ms, got ${ttlMs}`);
  return {
    async create(username) {
      const token = randomBytes(32).toString("base64url");
      const createdAtMs = now();
      const session: AdminSession = { username, createdAtMs, expiresAtMs: createdAtMs + ttlMs };
      const tokenHash = hashToken(token);
      const index = keys.adminUserSessions(username);
      // Separate keys (and slots on a cluster): sent together, not as one transaction.
      await Promise.all([
        redis.set(keys.adminSession(tokenHash), JSON.stringify(session), "PX", ttlMs),
        redis.zremrangebyscore(index, "-inf", createdAtMs),
        redis.zadd(index, session.expiresAtMs, tokenHash),
        redis.pexpire(index, ttlMs),
      ]);
      return { token, session };
    },
    async verify(token) {
      if (!isTokenShaped(token)) return undefined;
      const raw = await redis.get(keys.adminSession(hashToken(token)));
      if (raw === null) return undefined;
      const session = JSON.parse(raw) as AdminSession;
      return session.expiresAtMs > now() ? session : undefined;
    },
    async revoke(token) {
      if (!isTokenShaped(token)) return false;
      return (await redis.del(keys.adminSession(hashToken(token)))) === 1;
    },
    async revokeOthers(username, keepToken) {
      const index = keys.adminUserSessions(username);
      const keep = isTokenShaped(keepToken) ? hashToken(keepToken) : "";
      const others = (await redis.zrange(index, 0, -1)).filter((hash) => hash !== keep);
      if (others.length === 0) return 0;
      const ended = await Promise.all(others.map((hash) => redis.del(keys.adminSession(hash))));
      await redis.zrem(index, ...others);
      return ended.reduce((sum: number, n) => sum + n, 0);
    },
  };
}

/** 43 base64url characters: what create hands out. Anything else is refused before Redis is asked. */
function isTokenShaped(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Failed sign-in limits, per source address and per username: at most
 * `maxFailures` failures in any `windowMs`, after which attempts are refused
 * without checking the password until the oldest failure leaves the window.
 *
 * Each attempt reserves its place first (the time goes into one sorted set per
 * subject, checked in the same transaction), so parallel guesses cannot slip
 * past the limit; a success clears the subjects' failures, a failure leaves
 * its entry as the record. Subjects are stored as SHA-256 prefixes, so a
 * password typed into the username field never lands in Redis. Times come
 * from the injected clock; the key TTL only cleans up.
 */
import { createHash, randomBytes } from "node:crypto";
import type { RedisClient } from "../redis/client.js";
import type { RedisKeys } from "../redis/keys.js";

/** Five failures per fifteen minutes. */
export const DEFAULT_SIGN_IN_LIMIT = { maxFailures: 5, windowMs: 15 * 60 * 1000 } as const;

/** Who is signing in: the username always, the address when it is known. */
export interface SignInSubjects {
  username: string;
  /** The caller's address; without one only the username is limited. */
  address?: string | undefined;
}

/** An attempt that may go ahead; call `succeeded` when the password was right. */
export interface SignInAttempt {
  ok: true;
  /** Clears the subjects' failures. Not calling it leaves this attempt counted as a failure. */
  succeeded(): Promise<void>;
}

/** An attempt refused because a subject is at its limit. */
export interface SignInRefusal {
  ok: false;
  /** Time until the next attempt would be let through. */
  retryAfterMs: number;
}

/** Counts failed sign-ins and refuses attempts past the limit. */
export interface SignInThrottle {
  /** Reserves an attempt for every subject, or refuses it when any is at the limit. */
  begin(subjects: SignInSubjects): Promise<SignInAttempt | SignInRefusal>;
  /** The wait before any subject may try again, or undefined when none is at its limit; reserves nothing. */
  blocked(subjects: SignInSubjects): Promise<number | undefined>;
}

/** Options of createSignInThrottle. */
export interface SignInThrottleOptions {
  redis: RedisClient;
  keys: Pick<RedisKeys, "signInFailures">;
  maxFailures?: number;
  windowMs?: number;
  now?: () => number;
}

/** A throttle over one sorted set per subject. */
export function createSignInThrottle(options: SignInThrottleOptions): SignInThrottle {
  const { redis, keys, now = Date.now } = options;
  const { maxFailures = DEFAULT_SIGN_IN_LIMIT.maxFailures, windowMs = DEFAULT_SIGN_IN_LIMIT.windowMs } = options;
  if (!Number.isInteger(maxFailures) || maxFailures < 1) throw new RangeError(`maxFailures must be a positive integer, got ${maxFailures}`);
  if (!Number.isInteger(windowMs) || windowMs < 1) throw new RangeError(`windowMs must be a positive integer of ms, got ${windowMs}`);

  /** Adds the attempt, then counts: over the limit means refused, and the entry is taken back. */
  async function reserve(key: string, member: string, at: number): Promise<number | undefined> {
    const replies = await redis
      .multi()
      .zremrangebyscore(key, "-inf", at - windowMs)
      .zadd(key, at, member)
      .zrange(key, 0, -1, "WITHSCORES")
      .pexpire(key, windowMs)
      .exec();
    const [error, flat] = replies?.[2] ?? [new Error("sign-in throttle transaction was discarded"), undefined];
    if (error) throw error;
    const others = toScores(flat as string[], member);
    if (others.length < maxFailures) return undefined;
    await redis.zrem(key, member);
    // The attempt is let through once enough of the oldest failures have left the window.
    const unlocking = others[others.length - maxFailures] ?? at;
    return Math.max(1, unlocking + windowMs - at);
  }

  const keysOf = (subjects: SignInSubjects): string[] => {
    const subjectKeys = [keys.signInFailures("user", subjectHash(subjects.username))];
    if (subjects.address) subjectKeys.push(keys.signInFailures("address", subjectHash(subjects.address)));
    return subjectKeys;
  };

  return {
    async blocked(subjects) {
      const at = now();
      const waits = await Promise.all(
        keysOf(subjects).map(async (key) => {
          const scores = toScores(await redis.zrangebyscore(key, at - windowMs + 1, "+inf", "WITHSCORES"), "");
          if (scores.length < maxFailures) return undefined;
          return Math.max(1, (scores[scores.length - maxFailures] ?? at) + windowMs - at);
        }),
      );
      const refusals = waits.filter((wait): wait is number => wait !== undefined);
      return refusals.length > 0 ? Math.max(...refusals) : undefined;
    },

    async begin(subjects) {
      const at = now();
      const member = `${at}:${randomBytes(6).toString("hex")}`;
      const subjectKeys = keysOf(subjects);
      const waits = await Promise.all(subjectKeys.map((key) => reserve(key, member, at)));
      const refusals = waits.filter((wait): wait is number => wait !== undefined);
      if (refusals.length > 0) {
        // Take back the places the other subjects granted: a refused attempt is no failure.
        await Promise.all(subjectKeys.filter((_key, i) => waits[i] === undefined).map((key) => redis.zrem(key, member)));
        return { ok: false, retryAfterMs: Math.max(...refusals) };
      }
      return {
        ok: true,
        async succeeded() {
          await Promise.all(subjectKeys.map((key) => redis.del(key)));
        },
      };
    },
  };
}

/** Scores of a WITHSCORES reply, ascending, without `exclude`. */
function toScores(flat: string[], exclude: string): number[] {
  const scores: number[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (flat[i] !== exclude) scores.push(Number(flat[i + 1]));
  }
  return scores.sort((a, b) => a - b);
}

function subjectHash(subject: string): string {
  return createHash("sha256").update(subject).digest("hex").slice(0, 32);
}

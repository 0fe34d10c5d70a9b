/**
 * How often one client address may ask for a key's usage (the relay's
 * GET /v1/key/usage through GetKeyUsage, and the /stats page): a token bucket
 * per address, `maxAttempts` deep, refilled evenly over `windowMs`. Every
 * attempt takes a token, right key or wrong, so guessing keys costs as much as
 * reading one's own.
 *
 * The buckets live in this replica's memory, not in Redis: the relay spreads
 * its calls over the replicas, so an address may get up to `maxAttempts` per
 * replica. That is enough against guessing (a key has 256 random bits) and
 * keeps a lookup free of Redis writes. IPv6 addresses share the bucket of
 * their /64, the block one host is usually given, so a host cannot dodge the
 * limit by walking its own block. At most `maxAddresses` buckets are kept;
 * past that the least recently used goes.
 */
import { isIPv6 } from "node:net";

/** The verdict on one attempt. */
export type AttemptVerdict = { ok: true } | { ok: false; retryAfterMs: number };

/** Counts attempts per client address. */
export interface AttemptLimiter {
  /** Takes one attempt for the address; refused when its bucket is empty, with the wait until it is not. */
  take(address: string): AttemptVerdict;
}

/** Options of createAttemptLimiter. */
export interface AttemptLimiterOptions {
  /** Attempts an address may make at once, and per window over time. */
  maxAttempts: number;
  windowMs: number;
  /** Buckets kept (default 10,000). */
  maxAddresses?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

/** Builds an in-memory limiter. */
export function createAttemptLimiter(options: AttemptLimiterOptions): AttemptLimiter {
  const { maxAttempts, windowMs } = options;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  if (!Number.isFinite(windowMs) || windowMs <= 0) throw new RangeError(`windowMs must be a positive number of ms, got ${windowMs}`);
  const maxAddresses = options.maxAddresses ?? 10_000;
  const now = options.now ?? Date.now;
  const perMs = maxAttempts / windowMs;
  // A Map keeps insertion order: re-inserting on use keeps the least recently used first.
  const buckets = new Map<string, Bucket>();

  return {
    take(address) {
      const at = now();
      const group = addressGroup(address);
      const bucket = buckets.get(group) ?? { tokens: maxAttempts, atMs: at };
      buckets.delete(group);
      bucket.tokens = Math.min(maxAttempts, bucket.tokens + Math.max(0, at - bucket.atMs) * perMs);
      bucket.atMs = at;
      buckets.set(group, bucket);
      if (buckets.size > maxAddresses) buckets.delete(buckets.keys().next().value as string);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterMs: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs)) };
    },
  };
}

/**
 * The bucket an address counts in: an IPv4 address (also when written as IPv4-mapped IPv6) as it is,
 * an IPv6 address by its /64 ("2001:db8:0:1::/64"), anything else as given, capped.
 */
export function addressGroup(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  const bare = address.replace(/%.*$/, "");
  if (!isIPv6(bare)) return address.slice(0, 100);
  const [head = "", tail] = bare.split("::");
  const parts = (s: string) => (s === "" ? [] : s.split(":"));
  // An embedded IPv4 tail ("::1.2.3.4") fills two groups.
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes(".") ? 2 : 1), 0);
  const headGroups = parts(head);
  const tailGroups = tail === undefined ? [] : parts(tail);
  const zeros = tail === undefined ? 0 : 8 - width(headGroups) - width(tailGroups);
  const groups = [...headGroups, ...Array<string>(zeros).fill("0"), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((g) => (g.includes(".") ? "0" : Number.parseInt(g, 16).toString(16)))
    .join(":")}::/64`;
}

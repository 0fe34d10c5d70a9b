/**
 * Sessions as records: per session hash (`{sess:HASH}`, next to its sticky
 * binding) the account and key that last served it, first and last seen,
 * finished and failed requests, the last status, and how often it moved. A
 * sorted set indexes the sessions by last use, for listing. Acquire touches
 * the record in its slot batch when it binds the session, new or moved (a
 * change of account counts a move); a session that stays is seen again at
 * its Release, which counts the finished request in its pipeline
 * (session-update.lua either way). Neither writes the index: each replica
 * keeps the last use of the sessions it saw, and writes them at most every
 * `indexFlushMs` (a second by default), on close, and before a listing, in
 * one ZADD GT per thousand sessions (GT: a later use another replica wrote
 * stays), so the index costs the hot path no command. A write that fails
 * keeps its entries for the next one. Whether a session is bound is the
 * sticky binding's word, read when a record is shown; unbinding drops it.
 * Choosing the account stays with pick-account and sticky-store.
 */
import type { RedisClient } from "../redis/client.js";
import { createDeferredFlush } from "../redis/deferred-flush.js";
import { defineLuaCommand } from "../redis/lua-command.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";

/** How a session stands: bound with its last request fine, bound with it failed, or not bound. */
export type SessionStatus = "ok" | "error" | "unbound";

/** A session as shown to admins. */
export interface SessionRecord {
  sessionHash: string;
  /** The account the sticky binding names now; "" when unbound. */
  boundAccountId: string;
  lastAccountId: string;
  keyId: string;
  firstSeenAtMs: number;
  lastSeenAtMs: number;
  requestCount: number;
  errorCount: number;
  /** Upstream HTTP status of the last finished request; 0 when none. */
  lastStatus: number;
  moveCount: number;
  status: SessionStatus;
}

/** What Release tells a session. */
export interface SessionRelease {
  sessionHash: string;
  accountId: string;
  keyId: string;
  /** True when the request failed upstream (error status, connection failure, broken stream). */
  failed: boolean;
  status: number;
  nowMs: number;
}

/** Filters of SessionStore.list; unset ones match all. */
export interface SessionFilter {
  keyId?: string;
  /** Matches the bound account or the one that served last. */
  accountId?: string;
  status?: SessionStatus;
  /** Sessions to return at most. */
  limit: number;
  /** Position in the index to resume from (from a previous nextOffset). */
  offset?: number;
}

/** Session records over Redis. */
export interface SessionStore {
  /** Acquire: the session is served by this account with this key now; resolves once its record is written (its index entry waits for the next flush). */
  touch(sessionHash: string, served: { accountId: string; keyId: string }): Promise<void>;
  /** Release: issues the record's write now (synchronously, so it joins the caller's batch) and returns its reply; the index entry waits for the next flush. */
  releaseCommands(release: SessionRelease): Promise<unknown>[];
  get(sessionHash: string): Promise<SessionRecord | undefined>;
  /** Most recently seen first, this replica's unwritten index entries written first; nextOffset is undefined once the index is exhausted. */
  list(filter: SessionFilter): Promise<{ sessions: SessionRecord[]; nextOffset: number | undefined }>;
  /** Drops the sticky binding; the record stays. Undefined when no such session. */
  unbind(sessionHash: string): Promise<SessionRecord | undefined>;
  /** Writes this replica's index entries; when a write fails it rejects, and its entries wait for the next flush. */
  flush(): Promise<void>;
  /** Stops the flush timer and writes what is left, rejecting like flush(). */
  close(): Promise<void>;
}

/** Options of createSessionStore. */
export interface SessionStoreOptions {
  redis: RedisClient;
  keys?: RedisKeys;
  /** How long a record outlives its last use (default 7 days). */
  ttlSeconds?: number;
  now?: () => number;
  /** How long index entries wait before they are written (default 1000 ms). */
  indexFlushMs?: number;
}

const PAGE = 200;
/** A list call reads at most this many records, so one filter cannot scan a huge index at once. */
const MAX_SCANNED = 5_000;
const DEFAULT_INDEX_FLUSH_MS = 1_000;
/** Sessions per ZADD at most, so a flush after a busy second is several commands of bounded size, not one huge one. */
const INDEX_CHUNK = 1_000;

/** A session store over one Redis client; its index flush timer runs only while entries wait, and never keeps the process alive. */
export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const { redis } = options;
  const keys = options.keys ?? createRedisKeys();
  const ttlSeconds = options.ttlSeconds ?? 7 * 24 * 3600;
  const now = options.now ?? Date.now;
  const indexFlushMs = options.indexFlushMs ?? DEFAULT_INDEX_FLUSH_MS;

  /** Index entries not written yet: session hash → its latest use seen here. */
  let pending = new Map<string, number>();
  const deferred = createDeferredFlush(indexFlushMs, () => flush());

  const note = (hash: string, atMs: number) => {
    const known = pending.get(hash);
    if (known === undefined || atMs > known) pending.set(hash, atMs);
  };

  function flush(): Promise<void> {
    deferred.cancel();
    const entries = [...pending];
    pending = new Map();
    // Issued in one tick, so auto-pipelining sends the chunks in one write.
    const writes: Promise<void>[] = [];
    for (let start = 0; start < entries.length; start += INDEX_CHUNK) {
      const chunk = entries.slice(start, start + INDEX_CHUNK);
      const scoreMembers = chunk.flatMap(([hash, atMs]) => [atMs, hash]);
      const write = redis.zadd(keys.sessionIndex(), "GT", ...scoreMembers).then(
        () => undefined,
        (err: unknown) => {
          for (const [hash, atMs] of chunk) note(hash, atMs);
          deferred.schedule();
          throw err;
        },
      );
      writes.push(write);
    }
    return Promise.all(writes).then(() => undefined);
  }

  const sessionUpdate = defineLuaCommand(redis, "crSessionUpdate", "session-update", 1);
  const update = (hash: string, args: [nowMs: number, ...rest: (string | number)[]]) => {
    note(hash, args[0]);
    deferred.schedule();
    return sessionUpdate([keys.session(hash)], args);
  };

  async function read(hashes: readonly string[]): Promise<(SessionRecord | undefined)[]> {
    const [records, bindings] = await Promise.all([
      Promise.all(hashes.map((h) => redis.hgetall(keys.session(h)))),
      Promise.all(hashes.map((h) => redis.get(keys.sticky(h)))),
    ]);
    return hashes.map((h, i) => toRecord(h, records[i] ?? {}, bindings[i] ?? ""));
  }

  const get = async (hash: string) => (await read([hash]))[0];

  return {
    async touch(hash, served) {
      await update(hash, [now(), ttlSeconds, served.accountId, served.keyId, "0", "0", 0]);
    },

    releaseCommands(r) {
      return [update(r.sessionHash, [r.nowMs, ttlSeconds, r.accountId, r.keyId, "1", r.failed ? "1" : "0", r.status])];
    },

    get,

    async list(filter) {
      // This replica's recent sessions are listed in their place; a failed write keeps its entries
      // for the next flush, and the listing shows what Redis has.
      await flush().catch(() => {});
      await redis.zremrangebyscore(keys.sessionIndex(), "-inf", now() - ttlSeconds * 1000);
      const sessions: SessionRecord[] = [];
      let offset = filter.offset ?? 0;
      const stopAt = offset + MAX_SCANNED;
      while (sessions.length < filter.limit && offset < stopAt) {
        const hashes = await redis.zrevrange(keys.sessionIndex(), offset, offset + PAGE - 1);
        if (hashes.length === 0) return { sessions, nextOffset: undefined };
        const records = await read(hashes);
        for (const [i, record] of records.entries()) {
          if (!record || !matches(record, filter)) continue;
          sessions.push(record);
          if (sessions.length === filter.limit) return { sessions, nextOffset: offset + i + 1 };
        }
        offset += hashes.length;
      }
      const more = offset < (await redis.zcard(keys.sessionIndex()));
      return { sessions, nextOffset: more ? offset : undefined };
    },

    async unbind(hash) {
      await redis.del(keys.sticky(hash));
      return get(hash);
    },

    flush,

    close() {
      deferred.close();
      return flush();
    },
  };
}

function matches(record: SessionRecord, filter: SessionFilter): boolean {
  if (filter.keyId && record.keyId !== filter.keyId) return false;
  if (filter.accountId && record.boundAccountId !== filter.accountId && record.lastAccountId !== filter.accountId) return false;
  return !filter.status || record.status === filter.status;
}

function toRecord(sessionHash: string, hash: Record<string, string>, boundAccountId: string): SessionRecord | undefined {
  if (!hash.firstSeenMs) return undefined;
  const num = (field: string) => Number(hash[field] ?? 0) || 0;
  return {
    sessionHash,
    boundAccountId,
    lastAccountId: hash.lastAccountId ?? "",
    keyId: hash.keyId ?? "",
    firstSeenAtMs: num("firstSeenMs"),
    lastSeenAtMs: num("lastSeenMs"),
    requestCount: num("requests"),
    errorCount: num("errors"),
    lastStatus: num("lastStatus"),
    moveCount: num("moves"),
    status: boundAccountId === "" ? "unbound" : hash.lastFailed === "1" ? "error" : "ok",
  };
}

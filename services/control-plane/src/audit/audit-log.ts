/**
 * The audit log of admin writes: one Redis stream, capped at `maxEvents`
 * (the oldest fall off), read newest first. Stream ids are the events' ids and
 * the page tokens, so a page stays put while new events arrive. This module
 * stores what it is given; choosing what to record (and never a secret) is the
 * audit interceptor's job.
 */
import type { RedisClient } from "../redis/client.js";
import type { RedisKeys } from "../redis/keys.js";
import { InvalidRequestError } from "../errors.js";

/** Ten thousand events. */
export const DEFAULT_AUDIT_MAX_EVENTS = 10_000;

/** One recorded admin call. */
export interface AuditEventInput {
  timeMs: number;
  actor: string;
  /** "<Service>/<Method>". */
  action: string;
  targetId: string;
  targetName: string;
  sourceAddress: string;
  /** "ok" or the Connect error code name. */
  outcome: string;
}

/** A stored event with its id. */
export interface AuditEvent extends AuditEventInput {
  id: string;
}

/** Which events to list. */
export interface AuditQuery {
  /** Exact admin name; empty for all. */
  actor?: string;
  /** Case-insensitive text the action must contain; empty for all. */
  action?: string;
  /** Default 50, at most 500. */
  pageSize?: number;
  /** A previous page's nextPageToken. */
  pageToken?: string;
}

/** One page of events, newest first. */
export interface AuditPage {
  events: AuditEvent[];
  /** Empty when there is nothing older. */
  nextPageToken: string;
}

/** Appends and lists audit events. */
export interface AuditLog {
  /** Appends an event; resolves with its id. */
  record(event: AuditEventInput): Promise<string>;
  /** Events matching the query, newest first. Throws InvalidRequestError for a bad page token or size. */
  list(query?: AuditQuery): Promise<AuditPage>;
}

/** Options of createAuditLog. */
export interface AuditLogOptions {
  redis: Pick<RedisClient, "xadd" | "xrevrange">;
  keys: Pick<RedisKeys, "auditLog">;
  maxEvents?: number;
}

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;
/** Entries read per round trip while filtering. */
const SCAN_BATCH = 200;
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/** An audit log in one capped Redis stream. */
export function createAuditLog({ redis, keys, maxEvents = DEFAULT_AUDIT_MAX_EVENTS }: AuditLogOptions): AuditLog {
  if (!Number.isInteger(maxEvents) || maxEvents < 1) throw new RangeError(`maxEvents must be a positive integer, got ${maxEvents}`);
  const key = keys.auditLog();

  return {
    async record(event) {
      const id = await redis.xadd(key, "MAXLEN", maxEvents, "*", "e", JSON.stringify(event));
      return id ?? "";
    },

    async list(query = {}) {
      const pageSize = toPageSize(query.pageSize);
      const token = query.pageToken ?? "";
      if (token !== "" && !STREAM_ID.test(token)) throw new InvalidRequestError("page_token: is not a token from a previous page");
      const actor = query.actor ?? "";
      const action = (query.action ?? "").trim().toLowerCase();
      const matches = (event: AuditEvent): boolean =>
        (actor === "" || event.actor === actor) && (action === "" || event.action.toLowerCase().includes(action));

      // One more than a page, to know whether an older page exists.
      const found: AuditEvent[] = [];
      let end = token === "" ? "+" : `(${token}`;
      while (found.length <= pageSize) {
        const batch = await redis.xrevrange(key, end, "-", "COUNT", SCAN_BATCH);
        for (const [id, fields] of batch) {
          const event = parseEntry(id, fields);
          if (event && matches(event)) found.push(event);
          if (found.length > pageSize) break;
        }
        if (batch.length < SCAN_BATCH) break;
        end = `(${batch[batch.length - 1]?.[0]}`;
      }
      const events = found.slice(0, pageSize);
      return { events, nextPageToken: found.length > pageSize ? (events[events.length - 1]?.id ?? "") : "" };
    },
  };
}

function toPageSize(requested: number | undefined): number {
  if (requested === undefined || requested === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(requested) || requested < 0) throw new InvalidRequestError(`page_size: must be a non-negative integer, got ${requested}`);
  return Math.min(requested, MAX_PAGE_SIZE);
}

/** The event of a stream entry `[id, ["e", json]]`; undefined for an entry this module did not write. */
function parseEntry(id: string, fields: string[]): AuditEvent | undefined {
  const json = fields[0] === "e" ? fields[1] : undefined;
  if (json === undefined) return undefined;
  try {
    const stored = JSON.parse(json) as Partial<AuditEventInput>;
    return {
      id,
      timeMs: Number(stored.timeMs) || 0,
      actor: String(stored.actor ?? ""),
      action: String(stored.action ?? ""),
      targetId: String(stored.targetId ?? ""),
      targetName: String(stored.targetName ?? ""),
      sourceAddress: String(stored.sourceAddress ?? ""),
      outcome: String(stored.outcome ?? ""),
    };
  } catch {
    return undefined;
  }
}

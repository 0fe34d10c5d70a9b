/**
 * The slot and record scripts in `lua/` (lua-command.ts: EVALSHA with an EVAL
 * fallback), wrapped in typed functions. Each script touches
 * the keys of one owner only; callers that need several owners issue several
 * calls at once, which one connection sends back to back.
 */
import type { RedisClient } from "./client.js";
import { defineLuaCommand } from "./lua-command.js";

/** Reply of acquireSlot. */
export type SlotReply =
  | { status: "granted"; active: number }
  | { status: "full"; active: number; waitMs: number }
  | { status: "missing" };

/** Arguments of acquireSlot. */
export interface AcquireSlotArgs {
  leasesKey: string;
  /** The owner's record hash; no slot when it is gone. */
  recordKey: string;
  leaseId: string;
  nowMs: number;
  ttlMs: number;
  /** 0 means unlimited. */
  limit: number;
  /** Record field stamped with nowMs on a grant. */
  stampField?: string;
}

/** Typed wrappers over the registered scripts. */
export interface RedisScripts {
  /** Drops expired leases, then adds this one if the owner is under its limit. */
  acquireSlot(args: AcquireSlotArgs): Promise<SlotReply>;
  /** Re-scores a lease that is still held; false when it is unknown or expired. */
  renewSlot(args: { leasesKey: string; leaseId: string; nowMs: number; ttlMs: number }): Promise<boolean>;
  /** HSET on an existing hash only; false when there is no such record. */
  updateRecord(key: string, fields: Record<string, string>): Promise<boolean>;
}

/** Registers the scripts on a client and returns the typed wrappers. */
export function createRedisScripts(redis: RedisClient): RedisScripts {
  const acquire = defineLuaCommand(redis, "crAcquireSlot", "acquire", 2);
  const renew = defineLuaCommand(redis, "crRenewSlot", "renew", 1);
  const update = defineLuaCommand(redis, "crUpdateRecord", "update-record", 1);
  return {
    async acquireSlot(args) {
      const reply = (await acquire([args.leasesKey, args.recordKey], [args.leaseId, args.nowMs, args.ttlMs, args.limit, args.stampField ?? ""])) as number[];
      const [status = -1, active = 0, waitMs = 0] = reply;
      if (status === 1) return { status: "granted", active };
      if (status === 0) return { status: "full", active, waitMs: Math.max(0, waitMs) };
      return { status: "missing" };
    },
    async renewSlot({ leasesKey, leaseId, nowMs, ttlMs }) {
      return (await renew([leasesKey], [leaseId, nowMs, ttlMs])) === 1;
    },
    async updateRecord(key, fields) {
      return (await update([key], Object.entries(fields).flat())) === 1;
    },
  };
}

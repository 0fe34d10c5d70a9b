/**
 * The Lua scripts in `lua/`, registered on a client with `defineCommand` (EVALSHA
 * with an EVAL fallback) and wrapped in typed functions. Each script touches
 * the keys of one owner only; callers that need several owners issue several
 * calls at once, which one connection sends back to back.
 */
import { readFileSync } from "node:fs";
import type { RedisClient } from "./client.js";

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

const COMMANDS = {
  crAcquireSlot: { file: "acquire", numberOfKeys: 2 },
  crRenewSlot: { file: "renew", numberOfKeys: 1 },
  crUpdateRecord: { file: "update-record", numberOfKeys: 1 },
} as const;

type CommandName = keyof typeof COMMANDS;
type ScriptClient = RedisClient & Record<CommandName, (...args: (string | number)[]) => Promise<unknown>>;

/** Registers the scripts on a client (once per client) and returns the typed wrappers. */
export function createRedisScripts(redis: RedisClient): RedisScripts {
  const client = redis as ScriptClient;
  for (const [name, { file, numberOfKeys }] of Object.entries(COMMANDS)) {
    if (typeof (client as unknown as Record<string, unknown>)[name] === "function") continue;
    // Read relative to this module: src/redis/lua in tests, dist/redis/lua once built (scripts/copy-lua.mjs).
    const lua = readFileSync(new URL(`./lua/${file}.lua`, import.meta.url), "utf8");
    redis.defineCommand(name, { numberOfKeys, lua });
  }
  return {
    async acquireSlot(args) {
      const reply = (await client.crAcquireSlot(
        args.leasesKey,
        args.recordKey,
        args.leaseId,
        args.nowMs,
        args.ttlMs,
        args.limit,
        args.stampField ?? "",
      )) as number[];
      const [status = -1, active = 0, waitMs = 0] = reply;
      if (status === 1) return { status: "granted", active };
      if (status === 0) return { status: "full", active, waitMs: Math.max(0, waitMs) };
      return { status: "missing" };
    },
    async renewSlot({ leasesKey, leaseId, nowMs, ttlMs }) {
      return (await client.crRenewSlot(leasesKey, leaseId, nowMs, ttlMs)) === 1;
    },
    async updateRecord(key, fields) {
      return (await client.crUpdateRecord(key, ...Object.entries(fields).flat())) === 1;
    },
  };
}

/**
 * One Lua script from `lua/` as a typed call: registered on a client with
 * `defineCommand` (EVALSHA with an EVAL fallback). Define commands when the
 * owning module is built, not in the middle of a tick: a command defined after
 * the tick's auto-pipeline was opened is missing from it. The fixed key count
 * puts the first key first, which is what routes the call on a cluster.
 */
import { readFileSync } from "node:fs";
import type { RedisClient } from "./client.js";

/** Runs the script with these keys and arguments. */
export type LuaCommand = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

type ScriptClient = Record<string, ((...args: (string | number)[]) => Promise<unknown>) | undefined>;

/** Registers `lua/<file>.lua` as `name` taking `numberOfKeys` keys on the client (once per client) and returns its caller. */
export function defineLuaCommand(redis: RedisClient, name: string, file: string, numberOfKeys: number): LuaCommand {
  const client = redis as unknown as ScriptClient;
  if (typeof client[name] !== "function") {
    // Read relative to this module: src/redis/lua in tests, dist/redis/lua once built (scripts/copy-lua.mjs).
    const lua = readFileSync(new URL(`./lua/${file}.lua`, import.meta.url), "utf8");
    redis.defineCommand(name, { numberOfKeys, lua });
  }
  return (keys, args) => {
    if (keys.length !== numberOfKeys) throw new Error(`${name} takes ${numberOfKeys} keys, got ${keys.length}`);
    return (client[name] as (...args: (string | number)[]) => Promise<unknown>).call(redis, ...keys, ...args);
  };
}

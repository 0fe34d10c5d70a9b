/**
 * One Lua script from `lua/` as a typed call. It is sent by EVALSHA once Redis
 * has it, and by EVAL until then or after a NOSCRIPT (a restarted or failed-over
 * server): ioredis's own `defineCommand` tracks loaded scripts per write
 * stream, and with auto-pipelining every tick is a new stream, so it would send
 * the whole script body with every call. The first key routes the call on a
 * cluster, so every call takes at least one.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { RedisClient } from "./client.js";

/** Runs the script with these keys and arguments. */
export type LuaCommand = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/** How many keys a call takes: a fixed count, or "any" for a script that reads `#KEYS` (at least one). */
export type LuaKeyCount = number | "any";

/** Reads `lua/<file>.lua` and returns its caller taking `numberOfKeys` keys; `name` only labels errors. */
export function defineLuaCommand(redis: RedisClient, name: string, file: string, numberOfKeys: LuaKeyCount): LuaCommand {
  // Read relative to this module: src/redis/lua in tests, dist/redis/lua once built (scripts/copy-lua.mjs).
  const lua = readFileSync(new URL(`./lua/${file}.lua`, import.meta.url), "utf8");
  const sha = createHash("sha1").update(lua).digest("hex");
  // Until one EVAL has answered, Redis may not hold the script; EVAL also caches it by its SHA.
  let loaded = false;
  const runEval = (keyCount: number, params: (string | number)[]) =>
    redis.eval(lua, keyCount, ...params).then((reply) => {
      loaded = true;
      return reply;
    });

  return (keys, args) => {
    if (numberOfKeys === "any" ? keys.length === 0 : keys.length !== numberOfKeys) {
      throw new Error(`${name} takes ${numberOfKeys === "any" ? "at least 1" : numberOfKeys} keys, got ${keys.length}`);
    }
    const keyCount = keys.length;
    const params = [...keys, ...args];
    if (!loaded) return runEval(keyCount, params);
    return redis.evalsha(sha, keyCount, ...params).catch((err: unknown) => {
      if (!(err instanceof Error) || !err.message.includes("NOSCRIPT")) throw err;
      loaded = false;
      return runEval(keyCount, params);
    });
  };
}

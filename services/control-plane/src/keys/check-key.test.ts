import { describe, expect, it } from "vitest";
import type { ApiKeyRecord } from "./api-key-store.js";
import { createKeyCheck } from "./check-key.js";

const NOW = 1_700_000_000_000;
const HASH = "a".repeat(64);

function key(over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: "k1",
    name: "k",
    keyPrefix: "cr_abcd",
    keyHash: HASH,
    enabled: true,
    createdAtMs: NOW - 1000,
    expiresAtMs: 0,
    concurrencyLimit: 0,
    // What the key may be used for is Acquire's: a narrow model list does not refuse it here.
    allowedModels: ["claude-haiku-*"],
    platforms: ["gemini"],
    revokedAtMs: 0,
    ...over,
  };
}

function checkOver(record: ApiKeyRecord | undefined) {
  const lookups: string[] = [];
  const check = createKeyCheck({
    catalog: {
      async findKeyByHash(keyHash) {
        lookups.push(keyHash);
        return record;
      },
    },
    now: () => NOW,
  });
  return { check, lookups };
}

describe("createKeyCheck", () => {
  it("accepts a usable key with its id, whatever its models and platforms", async () => {
    const { check, lookups } = checkOver(key());
    expect(await check(HASH)).toEqual({ ok: true, keyId: "k1" });
    expect(lookups).toEqual([HASH]);
  });

  it.each([
    ["an unknown key", undefined, "invalid x-api-key"],
    ["a revoked key", key({ revokedAtMs: NOW - 1 }), "this API key has been revoked"],
    ["a disabled key", key({ enabled: false }), "this API key is disabled"],
    ["an expired key", key({ expiresAtMs: NOW }), "this API key has expired"],
    ["a key past its time after first use", key({ expireAfterFirstUseSeconds: 1, firstUsedAtMs: NOW - 1000 }), "this API key has expired"],
  ])("refuses %s as KEY_INVALID", async (_name, record, message) => {
    const { check } = checkOver(record);
    expect(await check(HASH)).toEqual({ ok: false, reason: "KEY_INVALID", message });
  });

  it("refuses an empty hash without a lookup", async () => {
    const { check, lookups } = checkOver(key());
    expect(await check("")).toEqual({ ok: false, reason: "KEY_INVALID", message: "invalid x-api-key" });
    expect(lookups).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { formatLeaseId } from "../leases/lease-id.js";
import { createRedisKeys, USAGE_SHARDS } from "../redis/keys.js";
import { hashTagOf } from "./usage-batch.js";
import { USAGE_SHARDS_TO_READ, usageShardOf } from "./usage-shards.js";

describe("usageShardOf", () => {
  it("gives the same lease the same shard every time, within range", () => {
    for (let i = 0; i < 1_000; i++) {
      const leaseId = formatLeaseId("acct", "key");
      const shard = usageShardOf(leaseId);
      expect(shard).toBe(usageShardOf(leaseId));
      expect(Number.isInteger(shard) && shard >= 0 && shard < USAGE_SHARDS).toBe(true);
    }
  });

  it("spreads the leases of one key and account evenly over the shards", () => {
    const counts = new Array<number>(USAGE_SHARDS).fill(0);
    const leases = 32_000;
    for (let i = 0; i < leases; i++) counts[usageShardOf(formatLeaseId("one-account", "one-key"))]! += 1;
    const even = leases / USAGE_SHARDS;
    // 2,000 a shard expected; a binomial spread of ±4.5 sigma is about ±190.
    for (const count of counts) expect(Math.abs(count - even)).toBeLessThan(0.1 * even);
  });

  it("spreads lease ids whose characters differ only in their high bits", () => {
    // "1", "A", "Q", "a", "q": 0x31, 0x41, 0x51, 0x61, 0x71, all ending in the same four bits.
    const alike = ["1", "A", "Q", "a", "q"];
    const ids = Array.from({ length: 125 }, (_, i) => `acct.key.${alike[i % 5]}${alike[Math.floor(i / 5) % 5]}${alike[Math.floor(i / 25)]}`);
    expect(new Set(ids).size).toBe(125);
    expect(new Set(ids.map(usageShardOf)).size).toBeGreaterThan(USAGE_SHARDS / 2);
  });
});

describe("the shards' keys", () => {
  const keys = createRedisKeys({ prefix: "cr" });

  it("reads every shard and the unsharded copy, each under its own tag", () => {
    expect(USAGE_SHARDS_TO_READ).toHaveLength(USAGE_SHARDS + 1);
    expect(USAGE_SHARDS_TO_READ.at(-1)).toBe("unsharded");
    const tags = USAGE_SHARDS_TO_READ.map((shard) => hashTagOf(keys.usageDay("2025-01-15", shard)));
    expect(new Set(tags).size).toBe(USAGE_SHARDS + 1);
    expect(tags[7]).toBe("day:2025-01-15:s07");
    expect(tags.at(-1)).toBe("day:2025-01-15");
  });

  it("keeps a shard's day, hour and breakdown hashes under one tag, and the unsharded names of earlier versions", () => {
    const tag = hashTagOf(keys.usageDay("2025-01-15", 3));
    for (const key of [keys.usageHour("2025-01-15T13", 3), keys.usageDayBy("2025-01-15", "model", 3), keys.usageHourByModel("2025-01-15T13", 3)]) {
      expect(hashTagOf(key)).toBe(tag);
    }
    expect(keys.usageDay("2025-01-15", "unsharded")).toBe("cr:usage:{day:2025-01-15}");
    expect(keys.usageHour("2025-01-15T13", "unsharded")).toBe("cr:usage:{day:2025-01-15}:h:13");
    expect(keys.usageDayBy("2025-01-15", "key", "unsharded")).toBe("cr:usage:{day:2025-01-15}:by-key");
    expect(keys.usageHourByModel("2025-01-15T13", "unsharded")).toBe("cr:usage:{day:2025-01-15}:h:13:by-model");
    expect(keys.usageHourByModel("2025-01-15T13", 12)).toBe("cr:usage:{day:2025-01-15:s12}:h:13:by-model");
  });
});

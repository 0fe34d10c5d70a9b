import { create } from "@bufbuild/protobuf";
import { ApiKeySchema, UsageCountersSchema } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { keyUsage } from "./key-usage.js";

describe("keyUsage", () => {
  it("takes today and total from the key's spend when the server reports it", () => {
    const key = create(ApiKeySchema, { id: "k1", spend: { todayRequests: 3n, todayTokens: 900n, totalRequests: 40n, totalTokens: 12_000n } });
    expect(keyUsage(key, undefined)).toEqual({ today: { requests: 3n, tokens: 900n }, total: { requests: 40n, tokens: 12_000n } });
  });

  it("falls back to today's breakdown, with no total, when the key carries no spend", () => {
    const key = create(ApiKeySchema, { id: "k1" });
    const counters = create(UsageCountersSchema, { requests: 2n, inputTokens: 10n, outputTokens: 5n, cacheReadInputTokens: 1n });
    expect(keyUsage(key, new Map([["k1", counters]]))).toEqual({ today: { requests: 2n, tokens: 16n } });
    expect(keyUsage(create(ApiKeySchema, { id: "k2" }), new Map([["k1", counters]]))).toEqual({ today: { requests: 0n, tokens: 0n } });
  });

  it("has nothing to show when neither source is there", () => {
    expect(keyUsage(create(ApiKeySchema, { id: "k1" }), undefined)).toBeUndefined();
  });
});

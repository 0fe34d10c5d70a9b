import { describe, expect, it, vi } from "vitest";
import type { ApiKeyRecord } from "../keys/api-key-store.js";
import type { AcquireResult } from "../leases/acquire-lease.js";
import { refuse } from "../leases/refusal.js";
import type { NotificationEvent } from "./notification-event.js";
import { watchRefusals } from "./refusal-notices.js";

const KEY = { id: "k1", name: "ci", keyHash: "h".repeat(64), boundGroup: "team-a" } as ApiKeyRecord;
const input = { keyHash: KEY.keyHash, model: "claude-sonnet-4-5", sessionHash: "", excludeAccounts: [] };

async function run(result: AcquireResult, platform?: "gemini") {
  const emitted: NotificationEvent[] = [];
  const acquire = watchRefusals(async () => result, { emit: (event) => emitted.push(event), findKeyByHash: async () => KEY, now: () => 5 });
  expect(await acquire({ ...input, ...(platform && { platform }) })).toBe(result);
  await new Promise((resolve) => setTimeout(resolve, 0));
  return emitted;
}

describe("watchRefusals", () => {
  it("reports a key limit with the key's id and name, never its hash", async () => {
    const emitted = await run(refuse("KEY_LIMIT", "daily cost limit reached", 1_000));
    expect(emitted).toEqual([{ type: "key.limit_reached", atMs: 5, key: { id: "k1", name: "ci" }, reason: "daily cost limit reached" }]);
    expect(JSON.stringify(emitted)).not.toContain(KEY.keyHash);
  });

  it("reports a pool with no usable account with the platform, the key's group and the model", async () => {
    expect(await run(refuse("NO_ACCOUNT", "no account available"), "gemini")).toEqual([
      { type: "pool.no_account", atMs: 5, platform: "gemini", group: "team-a", model: "claude-sonnet-4-5" },
    ]);
  });

  it("says nothing when every account that could serve the request is only full", async () => {
    expect(await run(refuse("NO_ACCOUNT", "no account available", 1_000, { full: true }))).toEqual([]);
  });

  it.each([["KEY_INVALID" as const], ["NOT_ALLOWED" as const]])("says nothing about %s", async (reason) => {
    expect(await run(refuse(reason, "no"))).toEqual([]);
  });

  it("passes a lease through without a lookup", async () => {
    const findKeyByHash = vi.fn(async () => KEY);
    const lease = { ok: true } as AcquireResult;
    const acquire = watchRefusals(async () => lease, { emit: () => undefined, findKeyByHash });
    expect(await acquire(input)).toBe(lease);
    expect(findKeyByHash).not.toHaveBeenCalled();
  });
});

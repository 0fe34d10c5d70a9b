import { describe, expect, it } from "vitest";
import type { AccountRecord } from "../accounts/account-store.js";
import type { ApiKeyRecord } from "../keys/api-key-store.js";
import type { AccountType } from "../providers/account-types.js";
import { readQueueView, servesGroup, type QueueViewDeps } from "./queue-view.js";
import { waitGroupOf } from "./wait-group.js";

function account(id: string, type: AccountType, fields: Partial<AccountRecord> = {}): AccountRecord {
  return {
    id,
    name: `name-${id}`,
    type,
    baseUrl: "",
    priority: 50,
    maxConcurrentTasks: 1,
    schedulable: true,
    proxyUrl: "",
    createdAtMs: 0,
    lastUsedAtMs: 0,
    tokenExpiresAtMs: 0,
    group: "",
    allowedModels: [],
    projectId: "",
    tokenUrl: "",
    chatgptAccountId: "",
    ...fields,
  };
}

const pool = waitGroupOf("claude", { accountId: "", group: "" });
const teamA = waitGroupOf("claude", { accountId: "", group: "team-a" });
const dedicated = waitGroupOf("claude", { accountId: "c-2", group: "" });
const oauthOnly = waitGroupOf("claude", { accountId: "", group: "" }, ["claude-oauth"]);
const gemini = waitGroupOf("gemini", { accountId: "", group: "" });

const accounts = [
  account("c-1", "claude-console"),
  account("c-2", "claude-oauth", { group: "team-a" }),
  account("c-3", "claude-oauth", { schedulable: false }),
  account("g-1", "gemini-api"),
];

describe("servesGroup", () => {
  const served = (group: typeof pool) => accounts.filter((a) => servesGroup(a, group)).map((a) => a.id);

  it("takes the schedulable accounts of the line's platform in its binding", () => {
    expect(served(pool)).toEqual(["c-1", "c-2"]);
    expect(served(teamA)).toEqual(["c-2"]);
    expect(served(dedicated)).toEqual(["c-2"]);
    expect(served(gemini)).toEqual(["g-1"]);
  });

  it("keeps to the line's account types when it names some", () => {
    expect(served(oauthOnly)).toEqual(["c-2"]);
  });

  it("passes over an account of a type this control plane does not know", () => {
    expect(servesGroup({ ...account("x", "claude-console"), type: "mistral-api" as AccountType }, pool)).toBe(false);
  });
});

describe("readQueueView", () => {
  function deps(lines: Record<string, { waiters: number; oldestJoinedAtMs?: number }>, times: Record<string, number[]>): QueueViewDeps & { renewed: string[][] } {
    const renewed: string[][] = [];
    return {
      renewed,
      queue: {
        groups: async () => [pool, teamA, gemini],
        renew: async (groupId, waiterIds) => {
          renewed.push([groupId, ...waiterIds]);
          const line = lines[groupId] ?? { waiters: 0 };
          return { waiters: line.waiters, oldestJoinedAtMs: line.oldestJoinedAtMs, places: [] };
        },
        waitTimes: async (owner, id) => times[`${owner}:${id}`] ?? [],
      },
      accounts: { list: async () => accounts },
      apiKeys: { list: async () => [{ id: "k-1", name: "ci" }, { id: "k-2", name: "idle" }, { id: "k-3", name: "batch" }] as ApiKeyRecord[] },
      now: () => 10_000,
    };
  }

  it("reads every line, the most waiters first, with the age of its first in turn and its accounts", async () => {
    const d = deps({ [teamA.id]: { waiters: 3, oldestJoinedAtMs: 7_500 }, [pool.id]: { waiters: 1, oldestJoinedAtMs: 9_000 } }, {});
    const view = await readQueueView(d);
    expect(view.groups.map((g) => [g.group.name, g.waiting, g.oldestWaitMs, g.accountIds])).toEqual([
      ["claude/group:team-a", 3, 2_500, ["c-2"]],
      ["claude/pool", 1, 1_000, ["c-1", "c-2"]],
      ["gemini/pool", 0, 0, ["g-1"]],
    ]);
    // Reading renews none of this replica's waiters: it only prunes and counts.
    expect(d.renewed.every((call) => call.length === 1)).toBe(true);
  });

  it("sums up the waits of each key and account that has any, the longest p99 first", async () => {
    const view = await readQueueView(deps({}, { "key:k-1": [100, 300, 200], "key:k-3": [5_000], "account:c-1": [250] }));
    expect(view.keys).toEqual([
      { id: "k-3", name: "batch", count: 1, p50Ms: 5_000, p90Ms: 5_000, p99Ms: 5_000, maxMs: 5_000 },
      { id: "k-1", name: "ci", count: 3, p50Ms: 200, p90Ms: 300, p99Ms: 300, maxMs: 300 },
    ]);
    expect(view.accounts).toEqual([{ id: "c-1", name: "name-c-1", count: 1, p50Ms: 250, p90Ms: 250, p99Ms: 250, maxMs: 250 }]);
  });
});

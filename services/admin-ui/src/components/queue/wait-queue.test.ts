import { create } from "@bufbuild/protobuf";
import { WaitGroupSchema } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { createAppI18n } from "../../i18n/index.js";
import { formatWait, groupsWithWaiters, waitingByAccount } from "./wait-queue.js";

const pool = create(WaitGroupSchema, { name: "claude/pool", waiting: 3, accountIds: ["a-1", "a-2"] });
const team = create(WaitGroupSchema, { name: "claude/group:team-a", waiting: 2, accountIds: ["a-2"] });
const idle = create(WaitGroupSchema, { name: "gemini/pool", waiting: 0, accountIds: ["g-1"] });

describe("waitingByAccount", () => {
  it("adds up the waiters of every line an account serves and leaves out accounts nobody waits for", () => {
    expect(waitingByAccount([pool, team, idle])).toEqual(
      new Map([
        ["a-1", 3],
        ["a-2", 5],
      ]),
    );
    expect(waitingByAccount([])).toEqual(new Map());
  });

  it("counts a line once for an account listed twice", () => {
    expect(waitingByAccount([create(WaitGroupSchema, { waiting: 1, accountIds: ["a-1", "a-1"] })]).get("a-1")).toBe(1);
  });
});

describe("groupsWithWaiters", () => {
  it("keeps the lines with waiters, the most first", () => {
    expect(groupsWithWaiters([team, idle, pool]).map((g) => g.name)).toEqual(["claude/pool", "claude/group:team-a"]);
  });
});

describe("formatWait", () => {
  const { t } = createAppI18n("en").global;
  const zh = createAppI18n("zh-CN").global.t;

  it("reads milliseconds, seconds with one decimal, then minutes and seconds", () => {
    expect(formatWait(850, t, "en")).toBe("850 ms");
    expect(formatWait(2_540, t, "en")).toBe("2.5 s");
    expect(formatWait(12_000, t, "en")).toBe("12 s");
    expect(formatWait(65_000, t, "en")).toBe("1 min 5 s");
  });

  it("speaks Chinese too", () => {
    expect(formatWait(850, zh, "zh-CN")).toBe("850 毫秒");
    expect(formatWait(2_500, zh, "zh-CN")).toBe("2.5 秒");
  });
});

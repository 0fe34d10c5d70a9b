import { create } from "@bufbuild/protobuf";
import { SessionSchema, SessionStatus } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import {
  emptySessionFilters,
  keptPercent,
  mergeSessions,
  namesById,
  replaceSession,
  sessionStatusName,
  shortHash,
  toListSessionsRequest,
} from "./session-filters.js";

const session = (sessionHash: string, requestCount = 1) => create(SessionSchema, { sessionHash, requestCount });

describe("toListSessionsRequest", () => {
  it("asks for every session, first page, when no filter is set", () => {
    expect(toListSessionsRequest(emptySessionFilters())).toEqual({ keyId: "", accountId: "", status: SessionStatus.UNSPECIFIED, pageSize: 50, pageToken: "" });
  });

  it("narrows by key, account and status, trimmed, from a page token", () => {
    expect(toListSessionsRequest({ keyId: " key-1 ", accountId: "acc-2", status: SessionStatus.ERROR }, "50", 20)).toEqual({
      keyId: "key-1",
      accountId: "acc-2",
      status: SessionStatus.ERROR,
      pageSize: 20,
      pageToken: "50",
    });
  });

  it("treats a cleared select as no filter", () => {
    const cleared = { keyId: undefined, accountId: undefined, status: undefined } as unknown as ReturnType<typeof emptySessionFilters>;
    expect(toListSessionsRequest(cleared)).toMatchObject({ keyId: "", accountId: "", status: SessionStatus.UNSPECIFIED });
  });
});

describe("paging and updates", () => {
  it("appends a page without repeating a session that moved up meanwhile", () => {
    const merged = mergeSessions([session("a"), session("b")], [session("b", 9), session("c")]);
    expect(merged.map((s) => s.sessionHash)).toEqual(["a", "b", "c"]);
    expect(merged[1]?.requestCount).toBe(1);
  });

  it("replaces an unbound session in place", () => {
    const unbound = create(SessionSchema, { sessionHash: "b", status: SessionStatus.UNBOUND });
    expect(replaceSession([session("a"), session("b")], unbound).map((s) => s.status)).toEqual([SessionStatus.UNSPECIFIED, SessionStatus.UNBOUND]);
  });
});

describe("display helpers", () => {
  it("names statuses, an unknown one included", () => {
    expect([SessionStatus.OK, SessionStatus.ERROR, SessionStatus.UNBOUND, 42 as SessionStatus].map(sessionStatusName)).toEqual(["ok", "error", "unbound", "unknown"]);
  });

  it("shortens long hashes only", () => {
    expect(shortHash("0123456789abcdef")).toBe("0123456789ab…");
    expect(shortHash("short")).toBe("short");
  });

  it("maps ids to names", () => {
    expect(namesById([{ id: "k1", name: "ci" }]).get("k1")).toBe("ci");
  });

  it("gives the share of bound requests that kept their account, none before any", () => {
    expect(keptPercent({ hits: 96n, moves: 4n })).toBe(96);
    expect(keptPercent({ hits: 0n, moves: 0n })).toBeUndefined();
  });
});

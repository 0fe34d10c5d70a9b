import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { clientKeyOf, sessionHashOf } from "./read-messages.js";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

describe("clientKeyOf", () => {
  it("reads x-api-key first, then a Bearer authorization", () => {
    expect(clientKeyOf({ "x-api-key": "sk-a", authorization: "Bearer sk-b" })).toBe("sk-a");
    expect(clientKeyOf({ authorization: "Bearer sk-b" })).toBe("sk-b");
    expect(clientKeyOf({ authorization: "bearer   sk-c " })).toBe("sk-c");
  });

  it("finds no key in an empty header or another scheme", () => {
    expect(clientKeyOf({})).toBeUndefined();
    expect(clientKeyOf({ "x-api-key": "  " })).toBeUndefined();
    expect(clientKeyOf({ authorization: "Basic dXNlcjpwYXNz" })).toBeUndefined();
  });
});

describe("sessionHashOf", () => {
  const messages = [{ role: "user", content: "hello" }];

  it("uses the session_id inside Claude Code's JSON user_id", () => {
    const userId = JSON.stringify({ device_id: "dev", account_uuid: "acc", session_id: "9b1c-session" });
    expect(sessionHashOf({ metadata: { user_id: userId }, messages }, {})).toBe(sha("9b1c-session"));
  });

  it("uses the part after _session_ in the older user_id format", () => {
    expect(sessionHashOf({ metadata: { user_id: "user_abc123_account__session_77aa-bb" }, messages }, {})).toBe(sha("77aa-bb"));
  });

  it("falls back to the x-claude-code-session-id header", () => {
    expect(sessionHashOf({ metadata: { user_id: "plain-user" }, messages }, { "x-claude-code-session-id": "hdr-1" })).toBe(sha("hdr-1"));
  });

  it("falls back to the system prompt and the first user message, stable across turns", () => {
    const system = [{ type: "text", text: "You are helpful." }];
    const first = sessionHashOf({ system, messages }, {});
    const later = sessionHashOf(
      { system, messages: [...messages, { role: "assistant", content: "hi" }, { role: "user", content: [{ type: "text", text: "more" }] }] },
      {},
    );
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(later).toBe(first);
    expect(sessionHashOf({ system: "You are helpful.", messages: [{ role: "user", content: "other" }] }, {})).not.toBe(first);
  });

  it("returns no session for a request with nothing to go on", () => {
    expect(sessionHashOf({ messages: [] }, {})).toBe("");
  });
});

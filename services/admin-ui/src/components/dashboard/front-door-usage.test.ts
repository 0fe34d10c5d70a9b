import { create } from "@bufbuild/protobuf";
import { NamedUsageSchema, UsageCountersSchema } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { frontDoorLabelKey, frontDoorShare, frontDoorUsage, unattributedRequests } from "./front-door-usage.js";

const named = (id: string, requests: number, costUsd: number) =>
  create(NamedUsageSchema, { id, name: id, usage: create(UsageCountersSchema, { requests: BigInt(requests), costUsd }) });

describe("frontDoorUsage", () => {
  it("keeps the server's order, front doors this UI does not know included", () => {
    const rows = frontDoorUsage([named("openai-chat", 1, 2), named("responses", 5, 1), named("anthropic", 3, 0.5)]);
    expect(rows.map((row) => row.id)).toEqual(["openai-chat", "responses", "anthropic"]);
  });

  it("gives each front door's share of a metric, 0 when nothing was used", () => {
    const rows = frontDoorUsage([named("openai-chat", 1, 1.5), named("anthropic", 3, 0.5)]);
    expect(frontDoorShare(rows, "anthropic", "requests")).toBe(75);
    expect(frontDoorShare(rows, "openai-chat", "cost")).toBe(75);
    expect(frontDoorShare(frontDoorUsage([named("gemini", 0, 0)]), "gemini", "requests")).toBe(0);
  });
});

describe("frontDoorLabelKey", () => {
  it("names the four front doors and leaves any other to be shown as sent", () => {
    expect(["anthropic", "gemini", "openai-chat", "openai-responses", "responses", "toString"].map(frontDoorLabelKey)).toEqual([
      "frontDoor.anthropic",
      "frontDoor.gemini",
      "frontDoor.openaiChat",
      "frontDoor.openaiResponses",
      undefined,
      undefined,
    ]);
  });
});

describe("unattributedRequests", () => {
  it("counts the requests of the total no front door accounts for, never below zero", () => {
    const rows = frontDoorUsage([named("anthropic", 3, 0), named("openai-chat", 2, 0)]);
    expect(unattributedRequests(create(UsageCountersSchema, { requests: 9n }), rows)).toBe(4n);
    expect(unattributedRequests(create(UsageCountersSchema, { requests: 5n }), rows)).toBe(0n);
    expect(unattributedRequests(undefined, rows)).toBe(0n);
  });
});

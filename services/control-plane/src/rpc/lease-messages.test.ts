import { create } from "@bufbuild/protobuf";
import { AcquireRequestSchema, Platform, UpstreamAccountType } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import { checkKeyHash, requestedPlatform, toAcquireInput } from "./lease-messages.js";

const keyHash = "AB".repeat(32);

describe("lease messages", () => {
  it("reads an unspecified platform as Claude and one this version does not know as none", () => {
    expect(requestedPlatform(Platform.UNSPECIFIED)).toBe("claude");
    expect(requestedPlatform(Platform.GEMINI)).toBe("gemini");
    expect(requestedPlatform(99 as Platform)).toBeUndefined();
  });

  it("takes an Acquire's fields into the domain, the key hash in lower case and the wait bounded", () => {
    const input = toAcquireInput(
      create(AcquireRequestSchema, { keyHash, model: "claude-sonnet-4-5", requestId: "r1", maxWaitMs: 3_600_000, accountTypes: [UpstreamAccountType.OPENAI_API] }),
      "openai",
    );
    expect(input).toMatchObject({ keyHash: keyHash.toLowerCase(), model: "claude-sonnet-4-5", requestId: "r1", platform: "openai", accountTypes: ["openai-api"], maxWaitMs: 600_000 });
    expect(input.signal).toBeUndefined();
  });

  it("makes the stop signal only when it is read", () => {
    let made = 0;
    const stop = {
      get signal() {
        made++;
        return new AbortController().signal;
      },
    };
    const input = toAcquireInput(create(AcquireRequestSchema, { keyHash }), "claude", stop);
    expect(made).toBe(0);
    expect(input.signal).toBeInstanceOf(AbortSignal);
    expect(made).toBe(1);
  });

  it("refuses what it could not have been sent", () => {
    expect(() => toAcquireInput(create(AcquireRequestSchema, { keyHash }), undefined)).toThrow(expect.objectContaining({ code: "ERR_INVALID_REQUEST" }));
    expect(() => toAcquireInput(create(AcquireRequestSchema, { keyHash, accountTypes: [42 as UpstreamAccountType] }), "claude")).toThrow(/account type 42/);
    expect(() => checkKeyHash("not-a-hash")).toThrow(/hex SHA-256/);
    expect(checkKeyHash("")).toBe("");
  });
});

import { create } from "@bufbuild/protobuf";
import { Platform, RefusalReason, ServedModelSchema } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import { createModelDirectory, type ModelListing } from "./model-directory.js";

const served = (id: string, platform: Platform, upstreamModel = id) => create(ServedModelSchema, { id, platform, upstreamModel });

function directory(answers: ModelListing[], clock = { ms: 0 }) {
  const asked: string[] = [];
  const dir = createModelDirectory({
    fetch: async (keyHash) => {
      asked.push(keyHash);
      return answers.shift() ?? { ok: true, models: [] };
    },
    ttlMs: 1_000,
    maxEntries: 2,
    now: () => clock.ms,
  });
  return { dir, asked, clock };
}

describe("model directory", () => {
  it("routes a name that says its platform without asking", async () => {
    const { dir, asked } = directory([]);
    expect(await dir.resolve("k", "claude-sonnet-4-5")).toEqual({ ok: true, platform: Platform.CLAUDE, upstreamModel: "claude-sonnet-4-5" });
    expect(await dir.resolve("k", "gemini-2.5-pro")).toEqual({ ok: true, platform: Platform.GEMINI, upstreamModel: "gemini-2.5-pro" });
    expect(asked).toEqual([]);
  });

  it("resolves an alias from the key's listing, asking once per interval", async () => {
    const models = [served("gpt-4o", Platform.CLAUDE, "claude-sonnet-4-5")];
    const { dir, asked, clock } = directory([{ ok: true, models }, { ok: true, models }]);
    expect(await dir.resolve("k", "gpt-4o")).toEqual({ ok: true, platform: Platform.CLAUDE, upstreamModel: "claude-sonnet-4-5" });
    expect(await dir.resolve("k", "gpt-4o")).toMatchObject({ ok: true });
    expect(asked).toEqual(["k"]);
    clock.ms = 1_001;
    await dir.resolve("k", "gpt-4o");
    expect(asked).toEqual(["k", "k"]);
  });

  it("says a name the key may not use does not exist", async () => {
    const { dir } = directory([{ ok: true, models: [served("claude-x", Platform.CLAUDE)] }]);
    expect(await dir.resolve("k", "mistral-large")).toEqual({ ok: false, failure: { kind: "model-not-found", model: "mistral-large" } });
  });

  it("sends an OpenAI name no alias claims to OpenAI, and one the listing names where the listing says", async () => {
    const { dir } = directory([{ ok: true, models: [served("gpt-4o", Platform.CLAUDE, "claude-sonnet-4-5"), served("gpt-5", Platform.OPENAI)] }]);
    expect(await dir.resolve("k", "gpt-5")).toEqual({ ok: true, platform: Platform.OPENAI, upstreamModel: "gpt-5" });
    expect(await dir.resolve("k", "o4-mini")).toEqual({ ok: true, platform: Platform.OPENAI, upstreamModel: "o4-mini" });
    expect(await dir.resolve("k", "ft:gpt-4.1-mini:org::abc")).toMatchObject({ ok: true, platform: Platform.OPENAI });
    expect(await dir.resolve("k", "gpt-4o")).toEqual({ ok: true, platform: Platform.CLAUDE, upstreamModel: "claude-sonnet-4-5" });
    expect(await dir.resolve("k", "omni-model")).toMatchObject({ ok: false });
  });

  it("passes a refusal on, and asks again after a failure to ask", async () => {
    const refusal = { kind: "refusal", reason: RefusalReason.KEY_INVALID, message: "invalid", retryAfterMs: 0 } as const;
    const { dir, asked } = directory([{ ok: false, failure: { kind: "control-plane-unavailable" } }, { ok: false, failure: refusal }]);
    expect(await dir.resolve("k", "gpt-4o")).toEqual({ ok: false, failure: { kind: "control-plane-unavailable" } });
    expect(await dir.resolve("k", "gpt-4o")).toEqual({ ok: false, failure: refusal });
    expect(asked).toEqual(["k", "k"]);
  });

  it("keeps at most its bound of keys", async () => {
    const { dir, asked } = directory([]);
    await dir.list("a");
    await dir.list("b");
    await dir.list("c");
    await dir.list("a");
    expect(asked).toEqual(["a", "b", "c", "a"]);
  });
});

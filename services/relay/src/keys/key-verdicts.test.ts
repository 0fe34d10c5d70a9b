import * as grpc from "@grpc/grpc-js";
import { create } from "@bufbuild/protobuf";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { RefusalReason, RefusalSchema } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import { ControlPlaneError, type KeyCheckAnswer } from "../control-plane/lease-client.js";
import { createKeyVerdicts, type KeyVerdictsOptions } from "./key-verdicts.js";

const accepted = (keyId: string): KeyCheckAnswer => ({ kind: "accepted", keyId });
const refused = (message: string): KeyCheckAnswer => ({ kind: "refused", refusal: create(RefusalSchema, { reason: RefusalReason.KEY_INVALID, message }) });
const unreachable: KeyCheckAnswer = { kind: "unchecked", reason: "error", error: new ControlPlaneError("checkKey", grpc.status.UNAVAILABLE, "down") };

/** A verdict cache over a scripted check, on a hand-moved clock. */
function setup(answer: (keyHash: string) => KeyCheckAnswer | Promise<KeyCheckAnswer>, options: Partial<KeyVerdictsOptions> = {}) {
  const clock = { ms: 0 };
  const asked: string[] = [];
  const verdicts = createKeyVerdicts({
    check: async (keyHash) => {
      asked.push(keyHash);
      return answer(keyHash);
    },
    now: () => clock.ms,
    ...options,
  });
  return { verdicts, asked, clock };
}

describe("createKeyVerdicts", () => {
  it("keeps an accepted key for 10 s and asks again after", async () => {
    const { verdicts, asked, clock } = setup(() => accepted("k1"));
    expect(await verdicts.verdict("a")).toEqual({ kind: "accepted", keyId: "k1" });
    clock.ms = 9_999;
    expect(await verdicts.verdict("a")).toEqual({ kind: "accepted", keyId: "k1" });
    expect(asked).toEqual(["a"]);
    clock.ms = 10_000;
    await verdicts.verdict("a");
    expect(asked).toEqual(["a", "a"]);
  });

  it("keeps a refused key for 5 s with its message and asks again after", async () => {
    const { verdicts, asked, clock } = setup(() => refused("this API key has been revoked"));
    expect(await verdicts.verdict("b")).toEqual({ kind: "refused", message: "this API key has been revoked" });
    clock.ms = 4_999;
    await verdicts.verdict("b");
    expect(asked).toEqual(["b"]);
    clock.ms = 5_000;
    await verdicts.verdict("b");
    expect(asked).toEqual(["b", "b"]);
  });

  it("shares one check among concurrent misses on one key", async () => {
    let release!: (answer: KeyCheckAnswer) => void;
    const { verdicts, asked } = setup(() => new Promise((resolve) => (release = resolve)));
    const pending = Array.from({ length: 50 }, () => verdicts.verdict("c"));
    await Promise.resolve();
    release(refused("invalid x-api-key"));
    expect(new Set((await Promise.all(pending)).map((v) => v.kind))).toEqual(new Set(["refused"]));
    expect(asked).toEqual(["c"]);
  });

  it("never keeps a check that could not run", async () => {
    const { verdicts, asked } = setup(() => unreachable);
    expect(await verdicts.verdict("d")).toEqual({ kind: "unchecked" });
    expect(await verdicts.verdict("d")).toEqual({ kind: "unchecked" });
    expect(asked).toEqual(["d", "d"]);
  });

  it("forgets everything on clear, and one key on forget", async () => {
    const { verdicts, asked } = setup((hash) => (hash === "good" ? accepted("k1") : refused("invalid x-api-key")));
    await verdicts.verdict("good");
    await verdicts.verdict("bad");
    verdicts.forget("good");
    await verdicts.verdict("good");
    await verdicts.verdict("bad");
    expect(asked).toEqual(["good", "bad", "good"]);
    verdicts.clear();
    await verdicts.verdict("good");
    await verdicts.verdict("bad");
    expect(asked).toEqual(["good", "bad", "good", "good", "bad"]);
  });

  it("hands a check that overlapped a clear to its caller without keeping it", async () => {
    let release!: (answer: KeyCheckAnswer) => void;
    let first = true;
    const { verdicts, asked } = setup(() => (first ? ((first = false), new Promise((resolve) => (release = resolve))) : accepted("k2")));
    const pending = verdicts.verdict("e");
    await Promise.resolve();
    verdicts.clear();
    release(accepted("k1"));
    expect(await pending).toEqual({ kind: "accepted", keyId: "k1" });
    expect(await verdicts.verdict("e")).toEqual({ kind: "accepted", keyId: "k2" });
    expect(asked).toEqual(["e", "e"]);
  });

  it("bounds each kind on its own, so a flood of bad keys never pushes out a good one", async () => {
    const { verdicts, asked } = setup((hash) => (hash.startsWith("good") ? accepted(hash) : refused("invalid x-api-key")), { maxEntries: 3 });
    await verdicts.verdict("good-1");
    for (let i = 0; i < 10; i++) await verdicts.verdict(`bad-${i}`);
    asked.length = 0;
    await verdicts.verdict("good-1");
    await verdicts.verdict("bad-9");
    await verdicts.verdict("bad-0");
    // The newest bad keys are kept, the oldest went first; the good key stayed.
    expect(asked).toEqual(["bad-0"]);
  });

  it("counts verdicts by result and source", async () => {
    const registry = createMetricsRegistry("relay");
    const { verdicts } = setup(() => refused("invalid x-api-key"), { registry });
    await verdicts.verdict("f");
    await verdicts.verdict("f");
    const text = await registry.getSingleMetricAsString("relay_key_verdicts_total");
    expect(text).toMatch(/result="refused",source="control_plane"[^}]*\} 1/);
    expect(text).toMatch(/result="refused",source="cache"[^}]*\} 1/);
  });
});

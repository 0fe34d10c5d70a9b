import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ApiKeySchema, Platform } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { apiKeyFormProblem, emptyApiKeyForm, formFromApiKey, splitSeconds, toCreateApiKeyRequest, toSeconds, toUpdateApiKeyRequest } from "./api-key-form.js";

const FUTURE = Date.now() + 30 * 86_400_000;

const key = create(ApiKeySchema, {
  id: "key-1",
  name: "ci",
  keyPrefix: "cr_AbCd",
  enabled: true,
  concurrencyLimit: 2,
  allowedModels: ["claude-sonnet-4-5"],
  allowedClients: ["claude-cli/*"],
  boundGroup: "team-a",
  expireAfterFirstUseSeconds: 7 * 86_400,
  rateLimit: { windowSeconds: 3_600, maxRequests: 100, maxTokens: 1_000_000n },
  costLimits: { dailyUsd: 5, totalUsd: 100, weeklyOpusUsd: 20 },
  expiresAt: timestampFromMs(FUTURE),
});

describe("spans", () => {
  it("edits a span in the largest unit that divides it evenly", () => {
    expect(splitSeconds(3 * 86_400)).toEqual({ value: 3, unit: "days" });
    expect(splitSeconds(5_400)).toEqual({ value: 90, unit: "minutes" });
    expect(splitSeconds(90)).toEqual({ value: 90, unit: "seconds" });
    expect(splitSeconds(0)).toEqual({ value: 0, unit: "hours" });
  });

  it("turns a value and unit back into seconds, a cleared input as 0", () => {
    expect(toSeconds(2, "hours")).toBe(7_200);
    expect(toSeconds(null, "days")).toBe(0);
  });
});

describe("toCreateApiKeyRequest", () => {
  it("sends every limit of a blank form as 0 and binds to the whole pool", () => {
    expect(toCreateApiKeyRequest({ ...emptyApiKeyForm(), name: " k " })).toEqual({
      name: "k",
      concurrencyLimit: 0,
      allowedModels: [],
      allowedClients: [],
      expireAfterFirstUseSeconds: 0,
      boundAccountId: "",
      boundGroup: "",
      rateLimit: { windowSeconds: 0, maxRequests: 0, maxTokens: 0n },
      costLimits: { dailyUsd: 0, totalUsd: 0, weeklyOpusUsd: 0 },
      platforms: [],
      platformGroups: [],
    });
  });

  it("sends the limits, lists, expiry and the chosen binding only", () => {
    const req = toCreateApiKeyRequest({
      ...emptyApiKeyForm(),
      name: "k",
      bindingKind: "account",
      boundAccountId: "acc-1",
      boundGroup: "typed before switching",
      allowedClients: [" claude-cli/* ", ""],
      rateWindow: 5,
      rateWindowUnit: "minutes",
      rateMaxRequests: 10,
      rateMaxTokens: 50_000,
      dailyUsd: 1.5,
      expiresAtMs: FUTURE,
      expireAfterFirstUse: 2,
      expireAfterFirstUseUnit: "days",
    });
    expect(req).toMatchObject({
      boundAccountId: "acc-1",
      boundGroup: "",
      allowedClients: ["claude-cli/*"],
      rateLimit: { windowSeconds: 300, maxRequests: 10, maxTokens: 50_000n },
      costLimits: { dailyUsd: 1.5, totalUsd: 0, weeklyOpusUsd: 0 },
      expiresAt: timestampFromMs(FUTURE),
      expireAfterFirstUseSeconds: 172_800,
    });
  });
});

describe("formFromApiKey and toUpdateApiKeyRequest", () => {
  it("reads every setting of a key back into the form", () => {
    expect(formFromApiKey(key)).toMatchObject({
      name: "ci",
      bindingKind: "group",
      boundGroup: "team-a",
      rateWindow: 1,
      rateWindowUnit: "hours",
      rateMaxTokens: 1_000_000,
      expireAfterFirstUse: 7,
      expireAfterFirstUseUnit: "days",
      weeklyOpusUsd: 20,
      expiresAtMs: FUTURE,
    });
  });

  it("sends only the id when nothing changed", () => {
    expect(toUpdateApiKeyRequest(formFromApiKey(key), key)).toEqual({ id: "key-1" });
  });

  it("disables a key and changes one limit, sending that limit group whole", () => {
    const form = { ...formFromApiKey(key), enabled: false, rateMaxRequests: 200 };
    expect(toUpdateApiKeyRequest(form, key)).toEqual({
      id: "key-1",
      enabled: false,
      rateLimit: { windowSeconds: 3_600, maxRequests: 200, maxTokens: 1_000_000n },
    });
    expect(toUpdateApiKeyRequest({ ...formFromApiKey(key), totalUsd: 0 }, key)).toEqual({
      id: "key-1",
      costLimits: { dailyUsd: 5, totalUsd: 0, weeklyOpusUsd: 20 },
    });
  });

  it("clears the fixed expiry explicitly and sends a new one as a timestamp", () => {
    expect(toUpdateApiKeyRequest({ ...formFromApiKey(key), expiresAtMs: null }, key)).toEqual({ id: "key-1", clearExpiresAt: true });
    expect(toUpdateApiKeyRequest({ ...formFromApiKey(key), expiresAtMs: FUTURE + 1_000 }, key)).toEqual({
      id: "key-1",
      expiresAt: timestampFromMs(FUTURE + 1_000),
    });
  });

  it("replaces the binding with both fields, and unbinds with both empty", () => {
    expect(toUpdateApiKeyRequest({ ...formFromApiKey(key), bindingKind: "account", boundAccountId: "acc-9" }, key)).toEqual({
      id: "key-1",
      boundAccountId: "acc-9",
      boundGroup: "",
    });
    expect(toUpdateApiKeyRequest({ ...formFromApiKey(key), bindingKind: "none" }, key)).toEqual({ id: "key-1", boundAccountId: "", boundGroup: "" });
  });

  it("replaces the model and client lists when they changed, an emptied list included", () => {
    const form = { ...formFromApiKey(key), allowedModels: [], allowedClients: ["claude-cli/*", "my-app/*"] };
    expect(toUpdateApiKeyRequest(form, key)).toEqual({
      id: "key-1",
      allowedModels: { models: [] },
      allowedClients: { patterns: ["claude-cli/*", "my-app/*"] },
    });
  });

  it("reads a key without limit fields (an older server) as no limits", () => {
    const bare = create(ApiKeySchema, { id: "key-2", name: "old", enabled: true });
    expect(toUpdateApiKeyRequest(formFromApiKey(bare), bare)).toEqual({ id: "key-2" });
  });
});

describe("platforms in the key form", () => {
  it("creates a key for Gemini only, bound to a group there", () => {
    const req = toCreateApiKeyRequest({ ...emptyApiKeyForm(), name: "g", platforms: ["gemini"], platformGroups: { claude: "ignored", gemini: " gem ", openai: "" } });
    expect(req.platforms).toEqual([Platform.GEMINI]);
    expect(req.platformGroups).toEqual([{ platform: Platform.GEMINI, group: "gem" }]);
  });

  it("reads a key's platforms back and sends only a changed platform part", () => {
    const scoped = create(ApiKeySchema, { id: "key-1", name: "ci", platforms: [Platform.CLAUDE], platformGroups: [{ platform: Platform.CLAUDE, group: "team-c" }] });
    const form = formFromApiKey(scoped);
    expect(form.platforms).toEqual(["claude"]);
    expect(form.platformGroups).toEqual({ claude: "team-c", gemini: "", openai: "" });
    expect(toUpdateApiKeyRequest(form, scoped)).toEqual({ id: "key-1" });
    expect(toUpdateApiKeyRequest({ ...form, platforms: ["claude", "gemini"] }, scoped)).toEqual({
      id: "key-1",
      platforms: { platforms: [Platform.CLAUDE, Platform.GEMINI] },
    });
    expect(toUpdateApiKeyRequest({ ...form, platforms: ["claude", "gemini", "openai"] }, scoped)).toEqual({ id: "key-1", platforms: { platforms: [] } });
  });

  it("refuses a form with no platform checked", () => {
    expect(apiKeyFormProblem({ ...emptyApiKeyForm(), platforms: [] })).toBe("apiKeyForm.platformsRequired");
    expect(apiKeyFormProblem(emptyApiKeyForm())).toBeUndefined();
  });
});

describe("the wait for a free slot in the key form", () => {
  it("creates a key on the default unless a bound is typed", () => {
    expect(toCreateApiKeyRequest({ ...emptyApiKeyForm(), name: "k" })).not.toHaveProperty("queueWaitMs");
    expect(toCreateApiKeyRequest({ ...emptyApiKeyForm(), name: "k", queueWaitSeconds: 0 }).queueWaitMs).toBe(0);
    expect(toCreateApiKeyRequest({ ...emptyApiKeyForm(), name: "k", queueWaitSeconds: 20 }).queueWaitMs).toBe(20_000);
  });

  it("reads a key's bound back and sends a change or a clear to the default", () => {
    const patient = create(ApiKeySchema, { id: "key-1", name: "ci", queueWaitMs: 15_000 });
    const form = formFromApiKey(patient);
    expect(form.queueWaitSeconds).toBe(15);
    expect(toUpdateApiKeyRequest(form, patient)).toEqual({ id: "key-1" });
    expect(toUpdateApiKeyRequest({ ...form, queueWaitSeconds: 0 }, patient)).toEqual({ id: "key-1", queueWaitMs: 0 });
    expect(toUpdateApiKeyRequest({ ...form, queueWaitSeconds: null }, patient)).toEqual({ id: "key-1", clearQueueWaitMs: true });
  });

  it("refuses a bound over 10 minutes before sending it", () => {
    expect(apiKeyFormProblem({ ...emptyApiKeyForm(), queueWaitSeconds: 601 })).toBe("apiKeyForm.queueWaitRange");
  });
});

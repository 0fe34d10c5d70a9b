import { describe, expect, it } from "vitest";
import type { ApiKeyRecord } from "./api-key-store.js";
import { checkKeyPolicy, checkKeyUsable, isClientAllowed, isModelAllowed, isPlatformAllowed, keyBinding } from "./key-policy.js";

const NOW = 1_700_000_000_000;

function key(over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: "k1",
    name: "k",
    keyPrefix: "cr_abcd",
    keyHash: "0".repeat(64),
    enabled: true,
    createdAtMs: NOW - 1000,
    expiresAtMs: 0,
    concurrencyLimit: 0,
    allowedModels: [],
    revokedAtMs: 0,
    ...over,
  };
}

const request = { model: "claude-sonnet-4-5" };

describe("checkKeyPolicy", () => {
  it("allows an enabled, unexpired, unrevoked key without a model list", () => {
    expect(checkKeyPolicy(key(), request, NOW)).toEqual({ ok: true });
  });

  it("refuses an unknown key as invalid", () => {
    expect(checkKeyPolicy(undefined, request, NOW)).toEqual({ ok: false, reason: "KEY_INVALID", message: "invalid x-api-key" });
  });

  it("refuses a disabled key", () => {
    expect(checkKeyPolicy(key({ enabled: false }), request, NOW)).toMatchObject({ ok: false, reason: "KEY_INVALID", message: expect.stringMatching(/disabled/) });
  });

  it("refuses a revoked key even if it still reads as enabled", () => {
    expect(checkKeyPolicy(key({ revokedAtMs: NOW - 1 }), request, NOW)).toMatchObject({ ok: false, reason: "KEY_INVALID", message: expect.stringMatching(/revoked/) });
  });

  it("refuses a key from the moment it expires, and not before", () => {
    expect(checkKeyPolicy(key({ expiresAtMs: NOW + 1 }), request, NOW)).toEqual({ ok: true });
    expect(checkKeyPolicy(key({ expiresAtMs: NOW }), request, NOW)).toMatchObject({ ok: false, reason: "KEY_INVALID", message: expect.stringMatching(/expired/) });
  });

  it("refuses a model outside the allow-list and names it", () => {
    const result = checkKeyPolicy(key({ allowedModels: ["claude-haiku-4-5"] }), request, NOW);
    expect(result).toEqual({ ok: false, reason: "NOT_ALLOWED", message: 'this API key may not use the model "claude-sonnet-4-5"' });
  });

  it("shortens a very long model name in the message", () => {
    const result = checkKeyPolicy(key({ allowedModels: ["x"] }), { model: "m".repeat(500) }, NOW);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message.length).toBeLessThan(200);
  });
});

describe("checkKeyPolicy with limit settings", () => {
  it("expires a key its set time after its first use, and not before or while unused", () => {
    const after = { expireAfterFirstUseSeconds: 3600 };
    expect(checkKeyPolicy(key(after), request, NOW)).toEqual({ ok: true });
    expect(checkKeyPolicy(key({ ...after, firstUsedAtMs: NOW - 3_599_999 }), request, NOW)).toEqual({ ok: true });
    expect(checkKeyPolicy(key({ ...after, firstUsedAtMs: NOW - 3_600_000 }), request, NOW)).toEqual({
      ok: false,
      reason: "KEY_INVALID",
      message: "this API key has expired",
    });
  });

  it("refuses a client outside the key's allow-list as not allowed", () => {
    const onlyClaudeCode = key({ allowedClients: ["claude-cli/*"] });
    expect(checkKeyPolicy(onlyClaudeCode, { ...request, userAgent: "claude-cli/2.1.3 (external, sdk-cli)" }, NOW)).toEqual({ ok: true });
    expect(checkKeyPolicy(onlyClaudeCode, { ...request, userAgent: "curl/8.5.0" }, NOW)).toEqual({
      ok: false,
      reason: "NOT_ALLOWED",
      message: "this API key may not be used from this client",
    });
    expect(checkKeyPolicy(onlyClaudeCode, request, NOW)).toMatchObject({ ok: false, reason: "NOT_ALLOWED" });
  });
});

describe("checkKeyPolicy by platform", () => {
  const gemini = { model: "gemini-2.5-pro", platform: "gemini" as const };
  const claude = { model: "claude-sonnet-4-5", platform: "claude" as const };
  it.each([
    { platforms: [], request: gemini, allowed: true },
    { platforms: [], request: claude, allowed: true },
    { platforms: ["claude"], request: claude, allowed: true },
    { platforms: ["claude"], request: { model: "claude-sonnet-4-5" }, allowed: true },
    { platforms: ["claude", "gemini"], request: gemini, allowed: true },
    { platforms: ["gemini"], request: gemini, allowed: true },
    { platforms: ["claude"], request: gemini, allowed: false },
    { platforms: ["gemini"], request: claude, allowed: false },
    // A request that names no platform is a Claude request.
    { platforms: ["gemini"], request: { model: "claude-sonnet-4-5" }, allowed: false },
  ] as const)("keys for $platforms: a $request.platform request is allowed: $allowed", ({ platforms, request: asked, allowed }) => {
    const result = checkKeyPolicy(key({ platforms: [...platforms] }), asked, NOW);
    expect(result.ok).toBe(allowed);
    if (!result.ok) expect(result.reason).toBe("NOT_ALLOWED");
  });

  it("says which platform was refused and which ones the key is limited to, before judging the model", () => {
    expect(checkKeyPolicy(key({ platforms: ["claude"], allowedModels: ["claude-*"] }), gemini, NOW)).toEqual({
      ok: false,
      reason: "NOT_ALLOWED",
      message: "this API key may not be used for Gemini requests (it is limited to Claude)",
    });
  });

  it("still refuses an invalid key as KEY_INVALID whatever its platforms", () => {
    expect(checkKeyPolicy(key({ platforms: ["claude"], enabled: false }), gemini, NOW)).toMatchObject({ reason: "KEY_INVALID" });
  });
});

describe("keyBinding", () => {
  it.each([
    { key: {}, platform: "gemini", binding: { accountId: "", group: "" } },
    { key: { boundGroup: "team" }, platform: "gemini", binding: { accountId: "", group: "team" } },
    { key: { boundAccountId: "a1" }, platform: "claude", binding: { accountId: "a1", group: "" } },
    { key: { boundAccountId: "a1", platformGroups: { gemini: "g-team" } }, platform: "gemini", binding: { accountId: "", group: "g-team" } },
    { key: { boundAccountId: "a1", platformGroups: { gemini: "g-team" } }, platform: "claude", binding: { accountId: "a1", group: "" } },
    { key: { boundGroup: "team", platformGroups: { claude: "c-team", gemini: "g-team" } }, platform: "claude", binding: { accountId: "", group: "c-team" } },
    // An empty group is no group: the key's own binding applies.
    { key: { boundGroup: "team", platformGroups: { gemini: "" } }, platform: "gemini", binding: { accountId: "", group: "team" } },
  ] as const)("binds $key on $platform to $binding", ({ key: fields, platform, binding }) => {
    expect(keyBinding(fields, platform)).toEqual(binding);
  });
});

describe("isClientAllowed", () => {
  it("allows every client when the list is empty", () => {
    expect(isClientAllowed([], "")).toBe(true);
  });

  it("matches the whole User-Agent, ignoring case, with * for any run of characters", () => {
    expect(isClientAllowed(["claude-cli/*"], "Claude-CLI/2.1.330 (external, sdk-cli)")).toBe(true);
    expect(isClientAllowed(["claude-cli/*"], "my-claude-cli/1.0")).toBe(false);
    expect(isClientAllowed(["*(external, *)"], "claude-cli/2.1.3 (external, sdk-cli)")).toBe(true);
    expect(isClientAllowed(["Anthropic/JS *", "curl/*"], "curl/8.5.0")).toBe(true);
    expect(isClientAllowed(["curl/8"], "curl/8.5.0")).toBe(false);
  });

  it("stays fast on patterns made to backtrack", () => {
    const started = performance.now();
    expect(isClientAllowed(["*a*a*a*a*a*a*a*a*b"], "a".repeat(5_000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

describe("isModelAllowed", () => {
  it("allows every model when the list is empty", () => {
    expect(isModelAllowed([], "anything")).toBe(true);
  });

  it("matches exact names and prefixes ending in *", () => {
    expect(isModelAllowed(["claude-sonnet-4-5"], "claude-sonnet-4-5")).toBe(true);
    expect(isModelAllowed(["claude-sonnet-4-5"], "claude-sonnet-4-5-20250929")).toBe(false);
    expect(isModelAllowed(["claude-sonnet-*"], "claude-sonnet-4-5-20250929")).toBe(true);
    expect(isModelAllowed(["claude-sonnet-*"], "claude-opus-4-1")).toBe(false);
  });

  it("lets a request that names no model through (model listings)", () => {
    expect(isModelAllowed(["claude-sonnet-*"], "")).toBe(true);
  });
});

describe("checkKeyUsable", () => {
  it.each([
    ["no key", undefined, "invalid x-api-key"],
    ["a revoked key", key({ revokedAtMs: NOW - 1 }), "this API key has been revoked"],
    ["a disabled key", key({ enabled: false }), "this API key is disabled"],
    ["a key past its expiry date", key({ expiresAtMs: NOW }), "this API key has expired"],
    ["a key past its time after first use", key({ expireAfterFirstUseSeconds: 60, firstUsedAtMs: NOW - 60_000 }), "this API key has expired"],
  ])("refuses %s as KEY_INVALID", (_what, record, message) => {
    expect(checkKeyUsable(record, NOW)).toEqual({ ok: false, reason: "KEY_INVALID", message });
  });

  it("accepts a key whatever it is limited to: platforms, models and clients are checkKeyPolicy's", () => {
    expect(checkKeyUsable(key({ platforms: ["gemini"], allowedModels: ["gemini-*"], allowedClients: ["gemini-cli/*"] }), NOW)).toEqual({ ok: true });
  });
});

describe("isPlatformAllowed", () => {
  it("allows every platform with an empty list, and only those listed otherwise", () => {
    expect(isPlatformAllowed({}, "gemini")).toBe(true);
    expect(isPlatformAllowed({ platforms: [] }, "claude")).toBe(true);
    expect(isPlatformAllowed({ platforms: ["gemini"] }, "gemini")).toBe(true);
    expect(isPlatformAllowed({ platforms: ["gemini"] }, "claude")).toBe(false);
  });
});

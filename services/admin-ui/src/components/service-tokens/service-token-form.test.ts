import { timestampMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { emptyServiceTokenForm, toCreateRequest } from "./service-token-form.js";

const NOW = 1_750_000_000_000;

describe("toCreateRequest", () => {
  it("trims the name, keeps the scopes in their usual order and sets no expiry for never", () => {
    const result = toCreateRequest({ name: " onboarding ", scopes: ["usage:read", "keys:write"], expiresInDays: 0 }, NOW);
    expect(result).toEqual({ ok: true, request: { name: "onboarding", scopes: ["keys:write", "usage:read"] } });
  });

  it("turns an expiry in days into a time from now", () => {
    const result = toCreateRequest({ name: "finance", scopes: ["usage:read"], expiresInDays: 30 }, NOW);
    expect(result.ok && timestampMs(result.request.expiresAt as never)).toBe(NOW + 30 * 86_400_000);
  });

  it("asks for a name and at least one scope before calling", () => {
    expect(toCreateRequest({ ...emptyServiceTokenForm(), name: "  " }, NOW)).toEqual({ ok: false, problem: "nameRequired" });
    expect(toCreateRequest({ name: "x", scopes: [], expiresInDays: 0 }, NOW)).toEqual({ ok: false, problem: "scopesRequired" });
  });

  it("starts read-only and never expiring", () => {
    expect(emptyServiceTokenForm()).toEqual({ name: "", scopes: ["read"], expiresInDays: 0 });
  });
});

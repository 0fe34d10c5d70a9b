import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { apiKeyState } from "./api-key-state.js";

describe("apiKeyState", () => {
  const now = 1_000_000;

  it("is active for an enabled key without expiry or with one in the future", () => {
    expect(apiKeyState({ enabled: true, expiresAt: undefined, revokedAt: undefined }, now)).toBe("active");
    expect(apiKeyState({ enabled: true, expiresAt: timestampFromMs(now + 1), revokedAt: undefined }, now)).toBe("active");
  });

  it("is expired from the expiry on", () => {
    expect(apiKeyState({ enabled: true, expiresAt: timestampFromMs(now), revokedAt: undefined }, now)).toBe("expired");
  });

  it("puts revoked before disabled and disabled before expired", () => {
    const past = timestampFromMs(now - 1);
    expect(apiKeyState({ enabled: false, expiresAt: past, revokedAt: past }, now)).toBe("revoked");
    expect(apiKeyState({ enabled: false, expiresAt: past, revokedAt: undefined }, now)).toBe("disabled");
  });
});

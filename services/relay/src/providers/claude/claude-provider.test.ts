import { describe, expect, it } from "vitest";
import { claudeEndpointOf } from "./claude-provider.js";

describe("claudeEndpointOf", () => {
  it("routes the API under /v1, /api/v1 and /claude/v1", () => {
    for (const base of ["/v1", "/api/v1", "/claude/v1"]) {
      expect(claudeEndpointOf("POST", `${base}/messages`)).toBe("messages");
      expect(claudeEndpointOf("POST", `${base}/messages/count_tokens`)).toBe("count_tokens");
      expect(claudeEndpointOf("GET", `${base}/models`)).toBe("models");
      expect(claudeEndpointOf("GET", `${base}/models/claude-sonnet-4-5`)).toBe("models");
    }
  });

  it("routes nothing else", () => {
    expect(claudeEndpointOf("GET", "/v1/messages")).toBeUndefined();
    expect(claudeEndpointOf("POST", "/v1/models")).toBeUndefined();
    expect(claudeEndpointOf("GET", "/v1/models/")).toBeUndefined();
    expect(claudeEndpointOf("GET", "/v1/models/a/b")).toBeUndefined();
    expect(claudeEndpointOf("POST", "/v2/messages")).toBeUndefined();
    expect(claudeEndpointOf("POST", "/other/v1/messages")).toBeUndefined();
    expect(claudeEndpointOf("POST", "/v1/messages/batches")).toBeUndefined();
  });
});

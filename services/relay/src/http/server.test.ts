import { describe, expect, it } from "vitest";
import { apiEndpointOf, createRequestIds } from "./server.js";

describe("apiEndpointOf", () => {
  it("routes the API under /v1, /api/v1 and /claude/v1", () => {
    for (const base of ["/v1", "/api/v1", "/claude/v1"]) {
      expect(apiEndpointOf("POST", `${base}/messages`)).toBe("messages");
      expect(apiEndpointOf("POST", `${base}/messages/count_tokens`)).toBe("count_tokens");
      expect(apiEndpointOf("GET", `${base}/models`)).toBe("models");
      expect(apiEndpointOf("GET", `${base}/models/claude-sonnet-4-5`)).toBe("models");
    }
  });

  it("routes nothing else", () => {
    expect(apiEndpointOf("GET", "/v1/messages")).toBeUndefined();
    expect(apiEndpointOf("POST", "/v1/models")).toBeUndefined();
    expect(apiEndpointOf("GET", "/v1/models/")).toBeUndefined();
    expect(apiEndpointOf("GET", "/v1/models/a/b")).toBeUndefined();
    expect(apiEndpointOf("POST", "/v2/messages")).toBeUndefined();
    expect(apiEndpointOf("POST", "/other/v1/messages")).toBeUndefined();
    expect(apiEndpointOf("POST", "/v1/messages/batches")).toBeUndefined();
  });
});

describe("createRequestIds", () => {
  it("gives distinct ids in the Anthropic style", () => {
    const next = createRequestIds();
    const ids = new Set(Array.from({ length: 600 }, next));
    expect(ids.size).toBe(600);
    for (const id of ids) expect(id).toMatch(/^req_[A-Za-z0-9_-]{24}$/);
  });
});

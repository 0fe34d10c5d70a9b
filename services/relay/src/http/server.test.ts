import { describe, expect, it } from "vitest";
import { createRequestIds } from "./server.js";

describe("createRequestIds", () => {
  it("gives distinct ids in the Anthropic style", () => {
    const next = createRequestIds();
    const ids = new Set(Array.from({ length: 600 }, next));
    expect(ids.size).toBe(600);
    for (const id of ids) expect(id).toMatch(/^req_[A-Za-z0-9_-]{24}$/);
  });
});

import { describe, expect, it } from "vitest";
import { parseChange } from "./invalidation.js";

describe("parseChange", () => {
  it("reads an account, an API key, a model alias or a price change", () => {
    expect(parseChange('{"kind":"account","id":"a-1"}')).toEqual({ kind: "account", id: "a-1" });
    expect(parseChange('{"kind":"api-key","id":"k-1","extra":true}')).toEqual({ kind: "api-key", id: "k-1" });
    expect(parseChange('{"kind":"model-alias","id":"gpt-4o"}')).toEqual({ kind: "model-alias", id: "gpt-4o" });
    expect(parseChange('{"kind":"price","id":"claude-sonnet-9"}')).toEqual({ kind: "price", id: "claude-sonnet-9" });
  });

  it("invalidates everything on a message it does not understand", () => {
    expect(parseChange("not json")).toBe("all");
    expect(parseChange('{"kind":"session","id":"s"}')).toBe("all");
    expect(parseChange('{"kind":"account","id":7}')).toBe("all");
    expect(parseChange("null")).toBe("all");
  });
});

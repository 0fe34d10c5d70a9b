import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { errorMessage, isUnauthenticated } from "./errors.js";

describe("errorMessage", () => {
  it("shows the server's message verbatim, without the code prefix", () => {
    const err = new ConnectError("max_concurrent_tasks: must be a non-negative integer (0 means unlimited), got -1", Code.InvalidArgument);
    expect(err.message).toMatch(/^\[invalid_argument\]/);
    expect(errorMessage(err)).toBe("max_concurrent_tasks: must be a non-negative integer (0 means unlimited), got -1");
  });

  it("names the code when the server sent no message", () => {
    expect(errorMessage(new ConnectError("", Code.Unavailable))).toBe("Unavailable");
  });

  it("falls back to the message of any other error", () => {
    expect(errorMessage(new TypeError("Failed to fetch"))).toBe("Failed to fetch");
    expect(errorMessage("boom")).toBe("boom");
  });
});

describe("isUnauthenticated", () => {
  it("is true only for an Unauthenticated ConnectError", () => {
    expect(isUnauthenticated(new ConnectError("x", Code.Unauthenticated))).toBe(true);
    expect(isUnauthenticated(new ConnectError("x", Code.PermissionDenied))).toBe(false);
    expect(isUnauthenticated(new Error("x"))).toBe(false);
  });
});

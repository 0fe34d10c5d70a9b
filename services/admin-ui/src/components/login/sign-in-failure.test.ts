import { create } from "@bufbuild/protobuf";
import { SignInThrottledSchema } from "@claude-relay/proto/admin";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { retryWhen, signInFailure } from "./sign-in-failure.js";

describe("signInFailure", () => {
  it("reads a refused password as wrong credentials", () => {
    expect(signInFailure(new ConnectError("invalid username or password", Code.Unauthenticated))).toEqual({ kind: "invalid-credentials" });
  });

  it("takes the wait from the SignInThrottled detail", () => {
    const err = new ConnectError("too many failed sign-ins; try again in 15 minutes", Code.ResourceExhausted, undefined, [
      { desc: SignInThrottledSchema, value: create(SignInThrottledSchema, { retryAfterSeconds: 840 }) },
    ]);
    expect(signInFailure(err)).toEqual({ kind: "throttled", retryAfterSeconds: 840 });
  });

  it("falls back to the Retry-After header, then to the server's text", () => {
    const withHeader = new ConnectError("too many failed sign-ins", Code.ResourceExhausted, { "retry-after": "30" });
    expect(signInFailure(withHeader)).toEqual({ kind: "throttled", retryAfterSeconds: 30 });
    const bare = new ConnectError("too many failed sign-ins; try again later", Code.ResourceExhausted);
    expect(signInFailure(bare)).toEqual({ kind: "other", message: "too many failed sign-ins; try again later" });
  });

  it("shows any other failure as the server or the browser said it", () => {
    expect(signInFailure(new ConnectError("the control plane's state store is unavailable", Code.Unavailable))).toEqual({
      kind: "other",
      message: "the control plane's state store is unavailable",
    });
    expect(signInFailure(new TypeError("Failed to fetch"))).toEqual({ kind: "other", message: "Failed to fetch" });
  });
});

describe("retryWhen", () => {
  it("says the wait in seconds below a minute and in whole minutes, rounded up, above", () => {
    expect(retryWhen(45, "en")).toBe("in 45 seconds");
    expect(retryWhen(60, "en")).toBe("in 1 minute");
    expect(retryWhen(841, "en")).toBe("in 15 minutes");
  });

  it("speaks Simplified Chinese", () => {
    expect(retryWhen(900, "zh-CN")).toBe("15分钟后");
  });
});

import { Code } from "@connectrpc/connect";
import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { LeaseIdError } from "./leases/lease-id.js";
import { classifyFailure, InvalidRequestError, isRedisFailure, toConnectCode, toGrpcStatus } from "./errors.js";

function named(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

describe("toGrpcStatus", () => {
  it("maps bad input to INVALID_ARGUMENT with its own message", () => {
    expect(toGrpcStatus(new InvalidRequestError("model is too long"))).toEqual({ code: status.INVALID_ARGUMENT, details: "model is too long" });
    expect(toGrpcStatus(new LeaseIdError()).code).toBe(status.INVALID_ARGUMENT);
  });

  it("maps a Redis that cannot be reached or cannot serve now to UNAVAILABLE", () => {
    for (const err of [
      named("MaxRetriesPerRequestError", "Reached the max retries per request limit (which is 1)."),
      new Error("Connection is closed."),
      new Error("Command timed out"),
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
      named("ReplyError", "LOADING Redis is loading the dataset in memory"),
    ]) {
      expect(toGrpcStatus(err).code).toBe(status.UNAVAILABLE);
      expect(isRedisFailure(err)).toBe(true);
    }
  });

  it("maps anything else to INTERNAL with a generic message", () => {
    const bug = new TypeError("cannot read properties of undefined (secret sk-ant-123)");
    expect(toGrpcStatus(bug)).toEqual({ code: status.INTERNAL, details: "internal error" });
    const script = named("ReplyError", "ERR user_script:1: bad");
    expect(toGrpcStatus(script).code).toBe(status.INTERNAL);
    expect(isRedisFailure(script)).toBe(true);
    expect(classifyFailure("a string")).toBe("internal");
  });
});

describe("toConnectCode", () => {
  it("uses the same classification for the admin API", () => {
    expect(toConnectCode(Object.assign(new Error("x"), { code: "ERR_INVALID_ACCOUNT" }))).toBe(Code.InvalidArgument);
    expect(toConnectCode(new Error("Connection is closed."))).toBe(Code.Unavailable);
    expect(toConnectCode(new Error("boom"))).toBe(Code.Internal);
  });
});

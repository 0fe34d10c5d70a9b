import { describe, expect, it } from "vitest";
import { detectProtocol, HTTP2_PREFACE } from "./http2-preface.js";

describe("detectProtocol", () => {
  it("reads the HTTP/2 preface as http2, with or without frames after it", () => {
    expect(detectProtocol(HTTP2_PREFACE)).toBe("http2");
    expect(detectProtocol(Buffer.concat([HTTP2_PREFACE, Buffer.from([0, 0, 0, 4])]))).toBe("http2");
  });

  it("waits while the bytes so far are a start of the preface", () => {
    expect(detectProtocol(Buffer.alloc(0))).toBeUndefined();
    expect(detectProtocol(HTTP2_PREFACE.subarray(0, 10))).toBeUndefined();
  });

  it("reads an HTTP/1.1 request as http1 from its first differing byte", () => {
    expect(detectProtocol(Buffer.from("POST /claude_relay.admin.v1.AuthService/Login HTTP/1.1\r\n"))).toBe("http1");
    expect(detectProtocol(Buffer.from("P"))).toBeUndefined();
    expect(detectProtocol(Buffer.from("PRX"))).toBe("http1");
    expect(detectProtocol(Buffer.from("GET"))).toBe("http1");
  });
});

import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { BASE_URL_PROTOCOLS, PROXY_URL_PROTOCOLS, checkNonEmpty, checkNonNegativeInt, checkUrl } from "./field-checks.js";

function refusal(fn: () => unknown): ConnectError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConnectError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("field checks", () => {
  it("trims names and refuses blank ones naming the field", () => {
    expect(checkNonEmpty("name", "  main  ")).toBe("main");
    const error = refusal(() => checkNonEmpty("name", "   "));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("name: must not be empty");
  });

  it("accepts zero and positive integers and refuses negatives and fractions", () => {
    expect(checkNonNegativeInt("priority", 0)).toBe(0);
    expect(checkNonNegativeInt("priority", 7)).toBe(7);
    expect(refusal(() => checkNonNegativeInt("max_concurrent_tasks", -1)).rawMessage).toMatch(/^max_concurrent_tasks: must be a non-negative integer/);
    expect(refusal(() => checkNonNegativeInt("max_concurrent_tasks", 1.5)).rawMessage).toContain("got 1.5");
  });

  it("accepts proxy URLs of the four supported protocols only", () => {
    for (const ok of ["socks5://127.0.0.1:1080", "socks5h://u:p@proxy:1080", "http://proxy:3128", "https://proxy:443"]) {
      expect(checkUrl("proxy_url", ok, PROXY_URL_PROTOCOLS)).toBe(ok);
    }
    expect(refusal(() => checkUrl("proxy_url", "ftp://proxy", PROXY_URL_PROTOCOLS)).rawMessage).toBe("proxy_url: must use socks5, socks5h, http, https");
    expect(refusal(() => checkUrl("proxy_url", "not a url", PROXY_URL_PROTOCOLS)).rawMessage).toBe("proxy_url: is not a valid URL");
  });

  it("never echoes a refused URL, which may hold a password", () => {
    const error = refusal(() => checkUrl("proxy_url", "socks4://user:s3cret@proxy:1080", PROXY_URL_PROTOCOLS));
    expect(error.message).not.toContain("s3cret");
  });

  it("accepts http and https base URLs and refuses others", () => {
    expect(checkUrl("base_url", "https://api.anthropic.com", BASE_URL_PROTOCOLS)).toBe("https://api.anthropic.com");
    expect(refusal(() => checkUrl("base_url", "socks5://x:1", BASE_URL_PROTOCOLS)).code).toBe(Code.InvalidArgument);
  });
});

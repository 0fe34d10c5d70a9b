import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { describe, expect, it, vi } from "vitest";
import { createAuthInterceptor } from "./transport.js";

type Req = Parameters<Parameters<Interceptor>[0]>[0];

function call(interceptor: Interceptor, outcome: () => Promise<unknown>) {
  const req = { header: new Headers() } as unknown as Req;
  const next = vi.fn(async () => outcome()) as unknown as Parameters<Interceptor>[0];
  return { req, result: interceptor(next)(req) };
}

describe("auth interceptor", () => {
  it("adds the session token as a bearer header", async () => {
    const { req, result } = call(createAuthInterceptor({ getToken: () => "tok-1", onUnauthenticated: vi.fn() }), async () => ({}));
    await result;
    expect(req.header.get("Authorization")).toBe("Bearer tok-1");
  });

  it("sends no Authorization header when signed out", async () => {
    const { req, result } = call(createAuthInterceptor({ getToken: () => "", onUnauthenticated: vi.fn() }), async () => ({}));
    await result;
    expect(req.header.has("Authorization")).toBe(false);
  });

  it("reports a refused token and still fails the call", async () => {
    const onUnauthenticated = vi.fn();
    const refused = new ConnectError("invalid or expired session token", Code.Unauthenticated);
    const { result } = call(createAuthInterceptor({ getToken: () => "old", onUnauthenticated }), async () => {
      throw refused;
    });
    await expect(result).rejects.toBe(refused);
    expect(onUnauthenticated).toHaveBeenCalledTimes(1);
  });

  it("does not treat a failed sign-in without a token as a lost session", async () => {
    const onUnauthenticated = vi.fn();
    const { result } = call(createAuthInterceptor({ getToken: () => "", onUnauthenticated }), async () => {
      throw new ConnectError("invalid username or password", Code.Unauthenticated);
    });
    await expect(result).rejects.toThrow("invalid username or password");
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });

  it("leaves other errors alone", async () => {
    const onUnauthenticated = vi.fn();
    const { result } = call(createAuthInterceptor({ getToken: () => "tok", onUnauthenticated }), async () => {
      throw new ConnectError("name: must not be empty", Code.InvalidArgument);
    });
    await expect(result).rejects.toThrow("name: must not be empty");
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });
});

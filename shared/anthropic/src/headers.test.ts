import type { IncomingHttpHeaders } from "node:http";
import { describe, expect, it } from "vitest";
import { clientResponseHeaders, upstreamRequestHeaders } from "./headers.js";

describe("upstreamRequestHeaders", () => {
  const incoming: IncomingHttpHeaders = {
    host: "relay.example:8080",
    connection: "keep-alive, x-foo",
    "x-foo": "hop",
    "keep-alive": "timeout=5",
    "proxy-authorization": "Basic Zm9vOmJhcg==",
    "proxy-connection": "keep-alive",
    te: "trailers",
    trailer: "x-checksum",
    "transfer-encoding": "chunked",
    upgrade: "h2c",
    expect: "100-continue",
    "content-length": "123",
    "x-api-key": "sk-client-key",
    authorization: "Bearer sk-client-key",
    cookie: "session=abc",
    "content-type": "application/json",
    "anthropic-version": "2023-06-01",
    "anthropic-beta": "claude-code-20250219,oauth-2025-04-20",
    "user-agent": "claude-cli/2.1.330 (external, sdk-cli)",
    "x-app": "cli",
    "x-claude-code-session-id": "6f1c2c1e-0000-4000-8000-000000000000",
    "x-stainless-os": "Linux",
    "x-stainless-retry-count": "0",
    accept: "application/json",
  };

  it("keeps every end-to-end header untouched", () => {
    expect(upstreamRequestHeaders(incoming)).toEqual({
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
      "anthropic-beta": "claude-code-20250219,oauth-2025-04-20",
      "user-agent": "claude-cli/2.1.330 (external, sdk-cli)",
      "x-app": "cli",
      "x-claude-code-session-id": "6f1c2c1e-0000-4000-8000-000000000000",
      "x-stainless-os": "Linux",
      "x-stainless-retry-count": "0",
      accept: "application/json",
    });
  });

  it("drops a header named in connection, whatever its case", () => {
    const out = upstreamRequestHeaders({ connection: "Keep-Alive, X-Foo", "x-foo": "hop", "x-bar": "kept" });
    expect(out).toEqual({ "x-bar": "kept" });
  });

  it("drops the client's credentials even when a caller passes mixed-case names", () => {
    const out = upstreamRequestHeaders({ "X-Api-Key": "k", Authorization: "Bearer k", Cookie: "c", "Anthropic-Version": "2023-06-01" } as IncomingHttpHeaders);
    expect(out).toEqual({ "Anthropic-Version": "2023-06-01" });
  });

  it("skips undefined values and keeps repeated values as arrays", () => {
    const out = upstreamRequestHeaders({ "x-empty": undefined, "x-many": ["a", "b"] });
    expect(out).toEqual({ "x-many": ["a", "b"] });
  });
});

describe("clientResponseHeaders", () => {
  it("drops hop-by-hop headers and keeps content-length, request-id, rate-limit headers and retry-after", () => {
    const out = clientResponseHeaders({
      "content-type": "application/json",
      "content-length": "321",
      "request-id": "req_011CUp",
      "anthropic-ratelimit-requests-limit": "4000",
      "anthropic-ratelimit-unified-reset": "1767225600",
      "retry-after": "17",
      "set-cookie": ["a=1", "b=2"],
      connection: "keep-alive, x-internal",
      "x-internal": "hop",
      "keep-alive": "timeout=5",
      "transfer-encoding": "chunked",
      "proxy-authenticate": "Basic",
      te: "trailers",
      trailer: "x-checksum",
      upgrade: "h2c",
      "x-missing": undefined,
    });
    expect(out).toEqual({
      "content-type": "application/json",
      "content-length": "321",
      "request-id": "req_011CUp",
      "anthropic-ratelimit-requests-limit": "4000",
      "anthropic-ratelimit-unified-reset": "1767225600",
      "retry-after": "17",
      "set-cookie": ["a=1", "b=2"],
    });
  });

  it("keeps x-api-key-like headers on the way down, since only requests carry the client's credentials", () => {
    expect(clientResponseHeaders({ authorization: "echo" })).toEqual({ authorization: "echo" });
  });
});

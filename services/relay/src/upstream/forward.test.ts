import { CredentialKind } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import { OAUTH_BETA, signClaudeRequest } from "../providers/claude/claude-credentials.js";
import { buildUpstreamRequest } from "./forward.js";

const CLIENT_HEADERS = {
  host: "relay.internal:8080",
  "x-api-key": "sk-client",
  authorization: "Bearer sk-client",
  cookie: "c=1",
  connection: "keep-alive, x-hop",
  "x-hop": "1",
  "content-length": "999",
  "transfer-encoding": "chunked",
  "anthropic-version": "2023-06-01",
  "anthropic-beta": "a-2025, b-2025",
  "user-agent": "claude-cli/2",
  "x-stainless-os": "Linux",
};

describe("buildUpstreamRequest", () => {
  it("signs with an API key, drops the client's credentials and hop-by-hop headers, keeps the rest", () => {
    const built = buildUpstreamRequest(
      { baseUrl: "https://api.anthropic.com", credentialKind: CredentialKind.API_KEY, credential: "sk-ant-acct" },
      "/v1/messages?beta=true",
      CLIENT_HEADERS,
      42,
      signClaudeRequest,
    );
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(built.request.origin).toBe("https://api.anthropic.com");
    expect(built.request.path).toBe("/v1/messages?beta=true");
    expect(built.request.headers).toEqual({
      "x-api-key": "sk-ant-acct",
      "content-length": "42",
      "anthropic-version": "2023-06-01",
      "anthropic-beta": "a-2025, b-2025",
      "user-agent": "claude-cli/2",
      "x-stainless-os": "Linux",
    });
  });

  it("signs with an OAuth token and adds the OAuth beta once, after the client's", () => {
    const account = { baseUrl: "https://api.anthropic.com/", credentialKind: CredentialKind.OAUTH_TOKEN, credential: "oat-token" };
    const built = buildUpstreamRequest(account, "/v1/messages", CLIENT_HEADERS, 1, signClaudeRequest);
    if (!built.ok) throw new Error(built.detail);
    expect(built.request.headers.authorization).toBe("Bearer oat-token");
    expect(built.request.headers["x-api-key"]).toBeUndefined();
    expect(built.request.headers["anthropic-beta"]).toBe(`a-2025,b-2025,${OAUTH_BETA}`);
    const again = buildUpstreamRequest(account, "/v1/messages", { "anthropic-beta": OAUTH_BETA }, 1, signClaudeRequest);
    if (!again.ok) throw new Error(again.detail);
    expect(again.request.headers["anthropic-beta"]).toBe(OAUTH_BETA);
    const none = buildUpstreamRequest(account, "/v1/messages", {}, 1, signClaudeRequest);
    if (!none.ok) throw new Error(none.detail);
    expect(none.request.headers["anthropic-beta"]).toBe(OAUTH_BETA);
  });

  it("keeps a base URL's path prefix in front of the client's path", () => {
    const built = buildUpstreamRequest({ baseUrl: "https://gw.example.com/anthropic/", credentialKind: CredentialKind.API_KEY, credential: "k" }, "/v1/messages?beta=true", {}, 0, signClaudeRequest);
    expect(built.ok && built.request.path).toBe("/anthropic/v1/messages?beta=true");
  });

  it("drops zstd from the accepted encodings, since usage could not be read from it", () => {
    const account = { baseUrl: "https://x", credentialKind: CredentialKind.API_KEY, credential: "k" };
    const mixed = buildUpstreamRequest(account, "/", { "accept-encoding": "gzip, deflate, br, zstd" }, 0, signClaudeRequest);
    expect(mixed.ok && mixed.request.headers["accept-encoding"]).toBe("gzip, deflate, br");
    const only = buildUpstreamRequest(account, "/", { "accept-encoding": "zstd" }, 0, signClaudeRequest);
    expect(only.ok && only.request.headers["accept-encoding"]).toBe("identity");
    const plain = buildUpstreamRequest(account, "/", { "accept-encoding": "gzip" }, 0, signClaudeRequest);
    expect(plain.ok && plain.request.headers["accept-encoding"]).toBe("gzip");
  });

  it("refuses an account it cannot call", () => {
    expect(buildUpstreamRequest({ baseUrl: "not a url", credentialKind: CredentialKind.API_KEY, credential: "k" }, "/", {}, 0, signClaudeRequest)).toEqual({
      ok: false,
      detail: "account base URL is not valid",
    });
    expect(buildUpstreamRequest({ baseUrl: "ftp://x", credentialKind: CredentialKind.API_KEY, credential: "k" }, "/", {}, 0, signClaudeRequest).ok).toBe(false);
    expect(buildUpstreamRequest({ baseUrl: "https://x", credentialKind: CredentialKind.UNSPECIFIED, credential: "k" }, "/", {}, 0, signClaudeRequest).ok).toBe(false);
  });
});

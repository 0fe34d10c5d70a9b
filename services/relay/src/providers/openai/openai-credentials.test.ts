import { create } from "@bufbuild/protobuf";
import { CredentialKind, UpstreamAccountSchema, UpstreamAccountType } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import { isAzureBaseUrl, openAiUpstreamPath, signOpenAiRequest } from "./openai-credentials.js";

const apiAccount = (baseUrl = "https://api.openai.com/v1") =>
  create(UpstreamAccountSchema, { id: "a", baseUrl, type: UpstreamAccountType.OPENAI_API, credentialKind: CredentialKind.BEARER_API_KEY, credential: "sk-account" });
const codexAccount = (accountId = "ws-123") =>
  create(UpstreamAccountSchema, {
    id: "c",
    baseUrl: "https://chatgpt.com/backend-api/codex",
    type: UpstreamAccountType.OPENAI_OAUTH,
    credentialKind: CredentialKind.OAUTH_TOKEN,
    credential: "access-token",
    details: { case: "chatgpt", value: { accountId } },
  });

/** Client headers as upstreamRequestHeaders leaves them (authorization and x-api-key already gone). */
const clientHeaders = () => ({ "api-key": "client", "chatgpt-account-id": "client-ws", "openai-organization": "org-client", "openai-project": "proj", session_id: "s-1", "user-agent": "codex_cli_rs/0.50" });

describe("signOpenAiRequest", () => {
  it("puts an API key in a Bearer token and takes the client's identity off", () => {
    const headers: Record<string, string | string[]> = clientHeaders();
    expect(signOpenAiRequest(headers, apiAccount())).toBeUndefined();
    expect(headers).toEqual({ authorization: "Bearer sk-account", session_id: "s-1", "user-agent": "codex_cli_rs/0.50" });
  });

  it("puts an Azure key in api-key", () => {
    const headers: Record<string, string | string[]> = clientHeaders();
    signOpenAiRequest(headers, apiAccount("https://team.openai.azure.com/openai/v1?api-version=preview"));
    expect(headers["api-key"]).toBe("sk-account");
    expect(headers.authorization).toBeUndefined();
  });

  it("signs a Codex backend request as Codex does, keeping the client's session and its own Codex headers", () => {
    const headers: Record<string, string | string[]> = { ...clientHeaders(), originator: "codex_exec" };
    expect(signOpenAiRequest(headers, codexAccount())).toBeUndefined();
    expect(headers).toMatchObject({ authorization: "Bearer access-token", "chatgpt-account-id": "ws-123", "openai-beta": "responses=experimental", originator: "codex_exec", session_id: "s-1" });
    expect(headers["openai-organization"]).toBeUndefined();
    expect(headers["api-key"]).toBeUndefined();
  });

  it("refuses a Codex account without its ChatGPT account id, and accounts of other platforms", () => {
    expect(signOpenAiRequest({}, codexAccount(""))).toMatch(/account id/);
    expect(signOpenAiRequest({}, { ...apiAccount(), type: UpstreamAccountType.CLAUDE_CONSOLE })).toMatch(/not an OpenAI account/);
    expect(signOpenAiRequest({}, { ...apiAccount(), credentialKind: CredentialKind.GOOGLE_API_KEY })).toMatch(/not an OpenAI API key/);
  });
});

describe("base URLs", () => {
  const table: Array<[string, boolean]> = [
    ["https://team.openai.azure.com/openai", true],
    ["https://eastus.cognitiveservices.azure.com/openai/v1", true],
    ["https://api.openai.com/v1", false],
    ["https://openai.azure.com.evil.example/v1", false],
    ["not a url", false],
  ];
  for (const [url, azure] of table) it(`${azure ? "takes" : "does not take"} ${url} for Azure`, () => expect(isAzureBaseUrl(url)).toBe(azure));

  it("keeps the base URL's query after the endpoint", () => {
    expect(openAiUpstreamPath(apiAccount("https://team.openai.azure.com/openai/v1?api-version=preview"), "/responses")).toBe("/responses?api-version=preview");
    expect(openAiUpstreamPath(apiAccount(), "/chat/completions")).toBe("/chat/completions");
  });
});

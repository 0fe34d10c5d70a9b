import type { IncomingMessage } from "node:http";
import { create } from "@bufbuild/protobuf";
import { CredentialKind, UpstreamAccountSchema, UpstreamAccountType } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import type { ApiRequest } from "../provider.js";
import { planResponses } from "./responses-plan.js";

const body = Buffer.from('{"model":"gpt-5","input":"hi"}');
const request: ApiRequest = { body, model: "gpt-5", stream: false, sessionHash: "", keyHash: "k", url: "/v1/responses" };
const req = { headers: { authorization: "Bearer cr_client", "x-api-key": "cr_client", "content-type": "application/json", "content-length": "999", host: "relay" } } as unknown as IncomingMessage;
const account = (baseUrl: string, type = UpstreamAccountType.OPENAI_API) =>
  create(UpstreamAccountSchema, { id: "a", baseUrl, type, credentialKind: CredentialKind.BEARER_API_KEY, credential: "sk-account" });

describe("planResponses", () => {
  const table: Array<{ name: string; baseUrl: string; origin: string; path: string; auth: Record<string, string | undefined> }> = [
    { name: "OpenAI's API", baseUrl: "https://api.openai.com/v1", origin: "https://api.openai.com", path: "/v1/responses", auth: { authorization: "Bearer sk-account", "api-key": undefined } },
    { name: "a compatible base URL with a longer path", baseUrl: "http://gateway.internal:8080/openai/v1/", origin: "http://gateway.internal:8080", path: "/openai/v1/responses", auth: { authorization: "Bearer sk-account" } },
    {
      name: "Azure OpenAI, keeping its api-version",
      baseUrl: "https://team.openai.azure.com/openai/v1?api-version=preview",
      origin: "https://team.openai.azure.com",
      path: "/openai/v1/responses?api-version=preview",
      auth: { "api-key": "sk-account", authorization: undefined },
    },
  ];
  for (const row of table) {
    it(`posts the body as it came to ${row.name}`, () => {
      const planned = planResponses(account(row.baseUrl), request, req);
      if (!planned.ok) throw new Error(planned.detail);
      const { plan } = planned;
      expect(plan.body).toBe(body);
      expect(plan.translator).toBeUndefined();
      expect(plan.request.origin).toBe(row.origin);
      expect(plan.request.path).toBe(row.path);
      expect(plan.request.headers).toMatchObject({ "content-length": String(body.length), "content-type": "application/json" });
      for (const [name, value] of Object.entries(row.auth)) expect(plan.request.headers[name]).toBe(value);
      expect(JSON.stringify(plan.request.headers)).not.toContain("cr_client");
    });
  }

  it("adds instructions on the Codex backend when the client sent none, and only there", () => {
    const bare = { ...request, prepared: { hasInstructions: false } };
    const chatgpt = (): ReturnType<typeof account> => ({
      ...account("https://chatgpt.com/backend-api/codex", UpstreamAccountType.OPENAI_OAUTH),
      credentialKind: CredentialKind.OAUTH_TOKEN,
      details: { case: "chatgpt", value: { $typeName: "claude_relay.lease.v1.ChatGptAccount", accountId: "acct-1" } },
    });
    const codex = planResponses(chatgpt(), bare, req);
    const api = planResponses(account("https://api.openai.com/v1"), bare, req);
    if (!codex.ok) throw new Error(codex.detail);
    if (!api.ok) throw new Error(api.detail);
    expect(JSON.parse(String(codex.plan.body))).toMatchObject({ model: "gpt-5", input: "hi", instructions: expect.any(String) });
    expect(codex.plan.request.headers["content-length"]).toBe(String(codex.plan.body?.length));
    expect(api.plan.body).toBe(body);
    const named = planResponses(chatgpt(), { ...request, prepared: { hasInstructions: true } }, req);
    expect(named.ok && named.plan.body).toBe(body);
  });

  it("refuses an account of another platform", () => {
    expect(planResponses(account("https://api.anthropic.com", UpstreamAccountType.CLAUDE_CONSOLE), request, req)).toEqual({ ok: false, detail: "account is not an OpenAI account" });
  });
});

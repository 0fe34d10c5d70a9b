/**
 * The OpenAI accounts relay tests lease from the fake control plane, on the
 * mock OpenAI upstream: an API key on its OpenAI API, a ChatGPT sign-in on its
 * Codex backend (the access token issued when the harness started).
 */
import { CredentialKind, UpstreamAccountType } from "@claude-relay/proto/lease";
import { DEFAULT_MOCK_CHATGPT_ACCOUNT, DEFAULT_MOCK_OPENAI_API_KEY, type MockOpenAI } from "@claude-relay/testkit";
import type { FakeAccount } from "../../control-plane/fake-lease-server.test-helper.js";

/** An API-key account on the mock's OpenAI API. */
export function openAiApiAccount(mock: MockOpenAI, id = "openai-api"): FakeAccount {
  return { id, baseUrl: mock.apiBaseUrl, type: UpstreamAccountType.OPENAI_API, credentialKind: CredentialKind.BEARER_API_KEY, credential: DEFAULT_MOCK_OPENAI_API_KEY };
}

/** The mock's first ChatGPT account on its Codex backend, signed in with `accessToken`. */
export function openAiCodexAccount(mock: MockOpenAI, accessToken: string, id = "openai-codex"): FakeAccount {
  return {
    id,
    baseUrl: mock.codexBaseUrl,
    type: UpstreamAccountType.OPENAI_OAUTH,
    credentialKind: CredentialKind.OAUTH_TOKEN,
    credential: accessToken,
    chatgptAccountId: DEFAULT_MOCK_CHATGPT_ACCOUNT.accountId,
  };
}

/** A Codex-style turn: streamed, unstored, with instructions. */
export function codexTurnBody(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model: "gpt-5-codex", instructions: "Be brief.", input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "Grüße" }] }], stream: true, store: false, ...extra });
}

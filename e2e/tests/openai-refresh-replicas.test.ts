/**
 * A ChatGPT account's token refresh across two control planes, as built processes on one Redis,
 * each with its own relay. The mock's token endpoint issues access tokens that live 16 s and the
 * control planes refresh 10 s ahead, so a few seconds after the account is added its token is due
 * (and too close to its end to be used during a background refresh); then both relays send
 * requests at once. Exactly one refresh reaches the token endpoint, every request is served, and
 * every request carries the one new token.
 */
import { AccountType } from "@claude-relay/proto/admin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClientKey } from "./support/gemini-stack.js";
import { type OpenAiAccountsStack, startOpenAiAccountsStack, startOpenAiReplica } from "./support/openai-accounts-stack.js";
import type { Replica } from "./support/stack.js";

/** Tokens are refreshed this long before they expire; the mock's live TOKEN_TTL_S. */
const REFRESH_AHEAD_MS = 10_000;
const TOKEN_TTL_S = 16;
const CONTROL_PLANE_ENV = { CONTROL_PLANE_OAUTH_REFRESH_AHEAD_MS: String(REFRESH_AHEAD_MS) };

let stack: OpenAiAccountsStack;
let replica: Replica;

beforeAll(async () => {
  stack = await startOpenAiAccountsStack({ controlPlaneEnv: CONTROL_PLANE_ENV, mock: { accessTokenTtlSeconds: TOKEN_TTL_S } });
  replica = await startOpenAiReplica(stack, { controlPlaneEnv: CONTROL_PLANE_ENV });
}, 60_000);

afterAll(async () => {
  await replica?.stop();
  await stack?.stop();
});

describe("a ChatGPT account whose token is about to expire, behind two control planes", () => {
  it("is refreshed once for both, and every request is served with the new token", async () => {
    const { account: created } = await stack.admin.accounts.createAccount({
      name: "chatgpt-expiring",
      type: AccountType.OPENAI_OAUTH,
      baseUrl: stack.mock.codexBaseUrl,
      tokenUrl: stack.mock.tokenUrl,
      credentialsJson: stack.mock.authJson(),
    });
    expect(created?.id).toBeTruthy();
    const client = await createClientKey(stack, "refresh-replicas");
    // Adding the account may have refreshed its pasted token already; what counts is what follows.
    const refreshesBefore = stack.mock.refreshCount();
    const tokenBefore = stack.mock.accounts[0]?.refreshToken;
    await new Promise((resolve) => setTimeout(resolve, TOKEN_TTL_S * 1_000 - REFRESH_AHEAD_MS + 1_500));
    const from = stack.mock.requests.length;

    const send = (relayUrl: string, i: number) =>
      fetch(`${relayUrl}/openai/v1/responses`, {
        method: "POST",
        headers: { authorization: `Bearer ${client.key}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-5.1-codex", instructions: "Be brief.", input: `request ${i}`, stream: true, store: false }),
      }).then(async (res) => ({ status: res.status, body: await res.text() }));
    const answers = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => send(stack.relayUrl, i)),
      ...Array.from({ length: 8 }, (_, i) => send(replica.relayUrl, 8 + i)),
    ]);

    expect(answers.map((a) => a.status)).toEqual(Array(16).fill(200));
    for (const answer of answers) expect(answer.body).toContain("response.completed");
    expect(stack.mock.refreshCount() - refreshesBefore).toBe(1);
    const served = stack.mock.requests.slice(from).filter((r) => r.operation === "codexResponses");
    expect(served).toHaveLength(16);
    const tokens = new Set(served.map((r) => r.headers.authorization));
    expect(tokens.size).toBe(1);
    // The refresh rotated the refresh token, as the real endpoint does.
    expect(stack.mock.accounts[0]?.refreshToken).not.toBe(tokenBefore);
  }, 60_000);
});

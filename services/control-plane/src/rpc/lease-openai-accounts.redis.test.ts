/**
 * The lease's UpstreamAccount for OpenAI accounts, through the gRPC lease
 * service over a real Redis: an API key goes as a bearer API key to its base
 * URL, a ChatGPT sign-in as its access token with the ChatGPT account every
 * Codex backend request names.
 */
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { AcquireRequestSchema, CredentialKind, Platform, UpstreamAccountType, type AcquireResponse, type Lease } from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hashApiKey } from "../keys/api-key-store.js";
import { startHarness, TOKEN, type Harness } from "./lease-server.test-helper.js";

let redisServer: TestRedis;
let h: Harness;

beforeAll(async () => {
  redisServer = await startRedis();
});

beforeEach(async () => {
  h = await startHarness(redisServer.url);
  return () => h.close();
});

afterAll(async () => {
  await redisServer?.close();
});

function acquire(fields: { keyHash: string; model: string; platform: Platform; excludeAccounts?: string[] }): Promise<AcquireResponse> {
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", TOKEN);
  const request = create(AcquireRequestSchema, fields);
  return new Promise((resolve, reject) =>
    (h.client as unknown as { acquire: Function }).acquire(request, metadata, { deadline: Date.now() + 15_000 }, (err: grpc.ServiceError | null, res: AcquireResponse) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

function leaseOf(res: AcquireResponse): Lease {
  if (res.result.case !== "lease") throw new Error(`expected a lease, got ${res.result.case}: ${JSON.stringify(res.result.value)}`);
  return res.result.value;
}

describe("the UpstreamAccount of an OpenAI lease", () => {
  it("is a bearer API key for openai-api, and an OAuth token with its ChatGPT account for openai-oauth", async () => {
    await h.accounts.create({ name: "claude", type: "claude-console", priority: 1, credential: { kind: "api-key", apiKey: "sk-ant-claude" } });
    const key = await h.accounts.create({ name: "platform", type: "openai-api", priority: 10, credential: { kind: "api-key", apiKey: "sk-proj-lease" } });
    const chatgpt = await h.accounts.create({
      name: "chatgpt",
      type: "openai-oauth",
      priority: 20,
      chatgptAccountId: "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
      credential: { kind: "oauth", accessToken: "eyJ.chatgpt.access", refreshToken: "rt_lease", expiresAtMs: Date.now() + 3_600_000, scopes: [] },
    });
    const keyHash = hashApiKey((await h.apiKeys.create({ name: "k" })).plaintextKey);

    const first = leaseOf(await acquire({ keyHash, model: "gpt-5", platform: Platform.OPENAI }));
    expect(first.account).toMatchObject({
      id: key.id,
      type: UpstreamAccountType.OPENAI_API,
      credentialKind: CredentialKind.BEARER_API_KEY,
      credential: "sk-proj-lease",
      baseUrl: "https://api.openai.com/v1",
    });
    expect(first.account?.details.case).toBeUndefined();

    const second = leaseOf(await acquire({ keyHash, model: "gpt-5", platform: Platform.OPENAI, excludeAccounts: [key.id] }));
    expect(second.account).toMatchObject({
      id: chatgpt.id,
      type: UpstreamAccountType.OPENAI_OAUTH,
      credentialKind: CredentialKind.OAUTH_TOKEN,
      credential: "eyJ.chatgpt.access",
      baseUrl: "https://chatgpt.com/backend-api/codex",
      details: { case: "chatgpt", value: { accountId: "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b" } },
    });
  });
});

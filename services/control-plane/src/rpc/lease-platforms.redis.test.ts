/**
 * Acquire by platform, through the gRPC lease service over a real Redis: a
 * request names the platform whose accounts can serve it, a key may be limited
 * to some platforms and bound to a group per platform, and the lease says what
 * kind of account it is on and how to present its credential.
 */
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  AccountSignal,
  AcquireRequestSchema,
  CredentialKind,
  OutcomeKind,
  Platform,
  RefusalReason,
  ReleaseRequestSchema,
  UpstreamAccountType,
  type AcquireResponse,
  type Lease,
} from "@claude-relay/proto/lease";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { NewAccount } from "../accounts/account-store.js";
import { hashApiKey, type NewApiKey } from "../keys/api-key-store.js";
import { summedShards } from "../usage/usage-shards.test-helper.js";
import { startHarness, TOKEN, type Harness } from "./lease-server.test-helper.js";

let redisServer: TestRedis;
let h: Harness;

beforeAll(async () => {
  redisServer = await startRedis();
});

// Each test gets its own namespace and server, so the pool holds only its accounts.
beforeEach(async () => {
  h = await startHarness(redisServer.url);
  return () => h.close();
});

afterAll(async () => {
  await redisServer?.close();
});

function acquire(fields: { keyHash: string; model?: string; platform?: Platform; excludeAccounts?: string[]; sessionHash?: string }): Promise<AcquireResponse> {
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", TOKEN);
  const request = create(AcquireRequestSchema, { model: fields.platform === Platform.GEMINI ? "gemini-2.5-pro" : "claude-sonnet-4-5", ...fields });
  return new Promise((resolve, reject) =>
    (h.client as unknown as { acquire: Function }).acquire(request, metadata, { deadline: Date.now() + 15_000 }, (err: grpc.ServiceError | null, res: AcquireResponse) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

function release(
  leaseId: string,
  fields: { kind: OutcomeKind; status: number; signal?: AccountSignal },
  usage: { model: string; inputTokens: number },
  frontDoor = "",
): Promise<unknown> {
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", TOKEN);
  const request = create(ReleaseRequestSchema, { leaseId, outcome: fields, usage, frontDoor });
  return new Promise((resolve, reject) =>
    (h.client as unknown as { release: Function }).release(request, metadata, { deadline: Date.now() + 15_000 }, (err: grpc.ServiceError | null, res: unknown) =>
      err ? reject(err) : resolve(res),
    ),
  );
}

function leaseOf(res: AcquireResponse): Lease {
  if (res.result.case !== "lease") throw new Error(`expected a lease, got ${res.result.case}: ${JSON.stringify(res.result.value)}`);
  return res.result.value;
}

async function clientKey(over: Partial<NewApiKey> = {}): Promise<string> {
  return hashApiKey((await h.apiKeys.create({ name: "k", ...over })).plaintextKey);
}

const claudeConsole = (name: string, over: Partial<NewAccount> = {}) =>
  h.accounts.create({ name, type: "claude-console", credential: { kind: "api-key", apiKey: `sk-ant-${name}` }, ...over });
const geminiApi = (name: string, over: Partial<NewAccount> = {}) =>
  h.accounts.create({ name, type: "gemini-api", credential: { kind: "api-key", apiKey: `AIza-${name}` }, ...over });
const geminiOAuth = (name: string, over: Partial<NewAccount> = {}) =>
  h.accounts.create({
    name,
    type: "gemini-oauth",
    projectId: `project-${name}`,
    credential: { kind: "oauth", accessToken: `ya29.${name}`, refreshToken: `1//${name}`, expiresAtMs: Date.now() + 3_600_000, scopes: [] },
    ...over,
  });

describe("Acquire by platform", () => {
  it("picks only Gemini accounts for a Gemini request, with the account's type, credential kind and Code Assist project", async () => {
    // The Claude account is the better one by priority: only the platform keeps it out.
    await claudeConsole("claude", { priority: 1 });
    const apiKey = await geminiApi("studio", { priority: 10 });
    const oauth = await geminiOAuth("cli", { priority: 20 });
    const keyHash = await clientKey();

    const first = leaseOf(await acquire({ keyHash, platform: Platform.GEMINI }));
    expect(first.account).toMatchObject({
      id: apiKey.id,
      type: UpstreamAccountType.GEMINI_API,
      credentialKind: CredentialKind.GOOGLE_API_KEY,
      credential: "AIza-studio",
      baseUrl: "https://generativelanguage.googleapis.com",
    });
    expect(first.account?.details.case).toBeUndefined();

    const second = leaseOf(await acquire({ keyHash, platform: Platform.GEMINI, excludeAccounts: [apiKey.id] }));
    expect(second.account).toMatchObject({
      id: oauth.id,
      type: UpstreamAccountType.GEMINI_OAUTH,
      credentialKind: CredentialKind.OAUTH_TOKEN,
      credential: "ya29.cli",
      baseUrl: "https://cloudcode-pa.googleapis.com",
      details: { case: "codeAssist", value: { projectId: "project-cli" } },
    });

    // With both Gemini accounts out, the Claude account is still no candidate.
    const none = await acquire({ keyHash, platform: Platform.GEMINI, excludeAccounts: [apiKey.id, oauth.id] });
    expect(none.result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.NO_ACCOUNT } });
    expect(await h.registry.getSingleMetricAsString("control_plane_acquire_total")).toMatch(/result="lease",platform="gemini"[^\n]* 2/);
  });

  it("reads an unspecified platform as Claude, and answers a Claude lease as before with its type added", async () => {
    await geminiApi("studio", { priority: 1 });
    const console = await claudeConsole("console", { priority: 10, baseUrl: "https://console.example" });
    const oauth = await h.accounts.create({
      name: "max",
      type: "claude-oauth",
      priority: 20,
      credential: { kind: "oauth", accessToken: "sk-ant-oat-1", refreshToken: "sk-ant-ort-1", expiresAtMs: Date.now() + 3_600_000, scopes: [] },
    });
    const keyHash = await clientKey();

    const unspecified = leaseOf(await acquire({ keyHash }));
    expect(unspecified.account).toEqual(
      expect.objectContaining({
        id: console.id,
        name: "console",
        baseUrl: "https://console.example",
        credentialKind: CredentialKind.API_KEY,
        credential: "sk-ant-console",
        proxyUrl: "",
        type: UpstreamAccountType.CLAUDE_CONSOLE,
        details: { case: undefined },
      }),
    );
    const named = leaseOf(await acquire({ keyHash, platform: Platform.CLAUDE, excludeAccounts: [console.id] }));
    expect(named.account).toMatchObject({ id: oauth.id, type: UpstreamAccountType.CLAUDE_OAUTH, credentialKind: CredentialKind.OAUTH_TOKEN, credential: "sk-ant-oat-1" });
    const none = await acquire({ keyHash, excludeAccounts: [console.id, oauth.id] });
    expect(none.result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.NO_ACCOUNT } });
  });

  it("refuses a key limited to Claude on a Gemini request as NOT_ALLOWED, saying why", async () => {
    await claudeConsole("claude");
    await geminiApi("studio");
    const keyHash = await clientKey({ platforms: ["claude"] });
    const refused = await acquire({ keyHash, platform: Platform.GEMINI });
    expect(refused.result).toMatchObject({
      case: "refusal",
      value: { reason: RefusalReason.NOT_ALLOWED, message: "this API key may not be used for Gemini requests (it is limited to Claude)" },
    });
    leaseOf(await acquire({ keyHash }));
    leaseOf(await acquire({ keyHash: await clientKey({ platforms: ["claude", "gemini"] }), platform: Platform.GEMINI }));
    expect(await h.registry.getSingleMetricAsString("control_plane_acquire_total")).toContain('result="not_allowed",platform="gemini"');
  });

  it("serves a key on each platform from the group named for it, and elsewhere from its own binding", async () => {
    const claudeTeam = await claudeConsole("claude-team", { group: "team", priority: 20 });
    await claudeConsole("claude-other", { priority: 10 });
    const geminiTeam = await geminiApi("gemini-team", { group: "gemini-team", priority: 20 });
    await geminiApi("gemini-other", { priority: 10 });
    const keyHash = await clientKey({ boundGroup: "team", platformGroups: { gemini: "gemini-team" } });

    for (let i = 0; i < 3; i++) {
      expect(leaseOf(await acquire({ keyHash, platform: Platform.GEMINI })).account?.id).toBe(geminiTeam.id);
      expect(leaseOf(await acquire({ keyHash })).account?.id).toBe(claudeTeam.id);
    }
    // A key bound to one Claude account, with a Gemini group: each platform has its own place.
    const pinned = await clientKey({ boundAccountId: claudeTeam.id, platformGroups: { gemini: "gemini-team" } });
    expect(leaseOf(await acquire({ keyHash: pinned, platform: Platform.GEMINI })).account?.id).toBe(geminiTeam.id);
    expect(leaseOf(await acquire({ keyHash: pinned })).account?.id).toBe(claudeTeam.id);
    // Without a Gemini group, its Claude binding applies to Gemini too, and no Gemini account is inside it.
    const claudeOnly = await clientKey({ boundAccountId: claudeTeam.id });
    expect((await acquire({ keyHash: claudeOnly, platform: Platform.GEMINI })).result).toMatchObject({ case: "refusal", value: { reason: RefusalReason.NO_ACCOUNT } });
  });

  it("never hands a Gemini request to the Claude account its session is bound to", async () => {
    const claude = await claudeConsole("claude", { priority: 1 });
    const gemini = await geminiApi("studio", { priority: 50 });
    const keyHash = await clientKey();
    expect(leaseOf(await acquire({ keyHash, sessionHash: "shared-session" })).account?.id).toBe(claude.id);
    expect(await h.redis.get(h.keys.sticky("shared-session"))).toBe(claude.id);
    expect(leaseOf(await acquire({ keyHash, sessionHash: "shared-session", platform: Platform.GEMINI })).account?.id).toBe(gemini.id);
  });

  it("admits exactly its limit of concurrent Acquires on a Gemini account", async () => {
    const gemini = await geminiApi("studio", { maxConcurrentTasks: 4 });
    await claudeConsole("claude");
    const keyHash = await clientKey();
    const answers = await Promise.all(Array.from({ length: 16 }, () => acquire({ keyHash, platform: Platform.GEMINI })));
    const granted = answers.filter((a) => a.result.case === "lease");
    expect(granted).toHaveLength(4);
    expect(new Set(granted.map((a) => leaseOf(a).account?.id))).toEqual(new Set([gemini.id]));
    expect(answers.filter((a) => a.result.case === "refusal" && a.result.value.reason === RefusalReason.NO_ACCOUNT)).toHaveLength(12);
    expect(await h.redis.zcard(h.keys.accountLeases(gemini.id))).toBe(4);
  });

  it("counts a released Gemini lease under its platform, in the metrics and in the day's usage", async () => {
    await geminiApi("studio");
    const keyHash = await clientKey();
    const lease = leaseOf(await acquire({ keyHash, platform: Platform.GEMINI }));
    await release(lease.leaseId, { kind: OutcomeKind.UPSTREAM_ERROR, status: 400, signal: AccountSignal.NONE }, { model: "gemini-2.5-flash", inputTokens: 12 });
    expect(await h.registry.getSingleMetricAsString("control_plane_releases_total")).toContain('outcome="upstream_error",platform="gemini"');
    const day = new Date().toISOString().slice(0, 10);
    expect((await summedShards(h.redis, (s) => h.keys.usageDay(day, s)))["gemini|input_tokens"]).toBe("12");
  });

  it("counts a released lease under the front door the relay names, and under none for a name it does not know", async () => {
    await claudeConsole("pool", { maxConcurrentTasks: 5 });
    const keyHash = await clientKey();
    const day = new Date().toISOString().slice(0, 10);
    const success = { kind: OutcomeKind.SUCCESS, status: 200 };
    await release(leaseOf(await acquire({ keyHash })).leaseId, success, { model: "claude-sonnet-4-5", inputTokens: 7 }, "openai-chat");
    await release(leaseOf(await acquire({ keyHash })).leaseId, success, { model: "claude-sonnet-4-5", inputTokens: 5 }, "OpenAI-Chat");
    await release(leaseOf(await acquire({ keyHash })).leaseId, success, { model: "claude-sonnet-4-5", inputTokens: 3 });
    const counters = await summedShards(h.redis, (s) => h.keys.usageDay(day, s));
    expect(counters).toMatchObject({ input_tokens: "15", "claude|input_tokens": "15", "door:openai-chat|input_tokens": "7" });
    // "OpenAI-Chat" is not a name the relay sends: that request is in the totals and in no front door.
    expect(Object.keys(counters).filter((field) => field.startsWith("door:")).sort()).toEqual(["door:openai-chat|cost_nanos", "door:openai-chat|input_tokens", "door:openai-chat|requests"]);
  });

  it("answers INVALID_ARGUMENT for a platform this control plane does not serve", async () => {
    const keyHash = await clientKey();
    await expect(acquire({ keyHash, platform: 9 as Platform })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining("platform 9") });
    expect(await h.registry.getSingleMetricAsString("control_plane_acquire_total")).toContain('result="error",platform="unknown"');
  });
});

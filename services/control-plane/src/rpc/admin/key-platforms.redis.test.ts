/**
 * A key's platforms and per-platform groups through the admin API: created,
 * changed and listed over Connect (and JSON, as curl and the UI send them),
 * stored on the key, and refused with the field named when wrong.
 */
import { randomBytes } from "node:crypto";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { ApiKeyService, Platform } from "@claude-relay/proto/admin";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore } from "../../accounts/account-store.js";
import { createCredentialCipher } from "../../accounts/credential-cipher.js";
import { createAdminSessions } from "../../auth/admin-sessions.js";
import { createAdminUsers } from "../../auth/admin-users.js";
import { createAdminHttpServer, type AdminHttpServer } from "../../http/server.js";
import { createApiKeyStore, type ApiKeyStore } from "../../keys/api-key-store.js";
import { createLeaseStore } from "../../leases/lease-store.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys } from "../../redis/keys.js";
import { rpcError, signIn } from "./admin-client.test-helper.js";

const PASSWORD = "key-platforms-test-password";

let redisServer: TestRedis;
let redis: Redis;
let store: ApiKeyStore;
let http: AdminHttpServer;
let baseUrl: string;
let token: string;
let apiKeys: Client<typeof ApiKeyService>;

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  const keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  const users = createAdminUsers({ redis, keys, scryptParams: { logN: 10, r: 8, p: 1 } });
  await users.createIfAbsent("admin", PASSWORD);
  store = createApiKeyStore({ redis, keys });
  http = createAdminHttpServer({
    redis,
    users,
    sessions: createAdminSessions({ redis, keys }),
    accounts: createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)) }),
    apiKeys: store,
    leases: createLeaseStore({ redis, keys, ttlMs: 30_000 }),
    log: createLogger({ service: "control-plane", level: "silent" }),
    registry: createMetricsRegistry("control-plane"),
  });
  baseUrl = `http://127.0.0.1:${await http.listen(0, "127.0.0.1")}`;
  const signedIn = await signIn(baseUrl, "admin", PASSWORD);
  token = signedIn.token;
  apiKeys = createClient(ApiKeyService, signedIn.transport);
});

afterAll(async () => {
  await http?.close();
  redis?.disconnect();
  await redisServer?.close();
});

describe("ApiKeyService platforms", () => {
  it("creates a key limited to platforms with a group per platform, and lists it so", async () => {
    const { apiKey } = await apiKeys.createApiKey({
      name: "gemini-team",
      boundGroup: "claude-team",
      platforms: [Platform.GEMINI, Platform.CLAUDE, Platform.GEMINI],
      platformGroups: [
        { platform: Platform.GEMINI, group: " gemini-team " },
        { platform: Platform.CLAUDE, group: "" },
      ],
    });
    // Platforms once each, in a stable order; an empty group is the key's own binding, so it is not kept.
    expect(apiKey).toMatchObject({ boundGroup: "claude-team", platforms: [Platform.CLAUDE, Platform.GEMINI], platformGroups: [{ platform: Platform.GEMINI, group: "gemini-team" }] });
    expect(await store.get(apiKey!.id)).toMatchObject({ platforms: ["claude", "gemini"], platformGroups: { gemini: "gemini-team" } });
    const listed = (await apiKeys.listApiKeys({})).apiKeys.find((k) => k.id === apiKey?.id);
    expect(listed).toMatchObject({ platforms: [Platform.CLAUDE, Platform.GEMINI], platformGroups: [{ platform: Platform.GEMINI, group: "gemini-team" }] });
  });

  it("shows a key made without platforms as open to every platform", async () => {
    const { apiKey } = await apiKeys.createApiKey({ name: "any" });
    expect(apiKey).toMatchObject({ platforms: [], platformGroups: [] });
  });

  it("replaces the platforms and the groups only when the update sets them", async () => {
    const { apiKey } = await apiKeys.createApiKey({ name: "changing", platforms: [Platform.CLAUDE], platformGroups: [{ platform: Platform.GEMINI, group: "g1" }] });
    const id = apiKey!.id;
    const renamed = await apiKeys.updateApiKey({ id, name: "renamed" });
    expect(renamed.apiKey).toMatchObject({ platforms: [Platform.CLAUDE], platformGroups: [{ platform: Platform.GEMINI, group: "g1" }] });
    const widened = await apiKeys.updateApiKey({ id, platforms: { platforms: [] } });
    expect(widened.apiKey).toMatchObject({ platforms: [], platformGroups: [{ platform: Platform.GEMINI, group: "g1" }] });
    const regrouped = await apiKeys.updateApiKey({ id, platformGroups: { groups: [{ platform: Platform.CLAUDE, group: "c1" }] } });
    expect(regrouped.apiKey?.platformGroups).toEqual([expect.objectContaining({ platform: Platform.CLAUDE, group: "c1" })]);
    const cleared = await apiKeys.updateApiKey({ id, platformGroups: { groups: [] } });
    expect(cleared.apiKey?.platformGroups).toEqual([]);
    expect(await store.get(id)).toMatchObject({ platforms: [], platformGroups: {} });
  });

  it("reads and writes platforms by name in JSON", async () => {
    const res = await fetch(`${baseUrl}/claude_relay.admin.v1.ApiKeyService/CreateApiKey`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: "json", platforms: ["PLATFORM_GEMINI"], platformGroups: [{ platform: "PLATFORM_GEMINI", group: "g" }] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ apiKey: { platforms: ["PLATFORM_GEMINI"], platformGroups: [{ platform: "PLATFORM_GEMINI", group: "g" }] } });
  });

  it("refuses an unspecified or unknown platform, a platform grouped twice and a bad group name, naming the field", async () => {
    // Each call is made only when its turn comes, so no refusal waits unobserved (an unhandled rejection).
    const checks: [() => Promise<unknown>, RegExp][] = [
      [() => apiKeys.createApiKey({ name: "k", platforms: [Platform.UNSPECIFIED] }), /^platforms\[0\]: must be one of PLATFORM_CLAUDE, PLATFORM_GEMINI/],
      [() => apiKeys.createApiKey({ name: "k", platforms: [Platform.CLAUDE, 7 as Platform] }), /^platforms\[1\]: must be one of/],
      [
        () => apiKeys.createApiKey({ name: "k", platformGroups: [{ platform: Platform.GEMINI, group: "a" }, { platform: Platform.GEMINI, group: "b" }] }),
        /^platform_groups\[1\]\.platform: names gemini a second time/,
      ],
      [() => apiKeys.createApiKey({ name: "k", platformGroups: [{ platform: Platform.GEMINI, group: "no spaces" }] }), /^platform_groups\[0\]\.group: must be at most 64/],
      [() => apiKeys.updateApiKey({ id: "x", platforms: { platforms: [Platform.UNSPECIFIED] } }), /^platforms\.platforms\[0\]: must be one of/],
      [() => apiKeys.updateApiKey({ id: "x", platformGroups: { groups: [{ platform: Platform.UNSPECIFIED, group: "g" }] } }), /^platform_groups\.groups\[0\]\.platform: must be one of/],
    ];
    for (const [call, message] of checks) {
      const error = await rpcError(call());
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(message);
    }
  });
});

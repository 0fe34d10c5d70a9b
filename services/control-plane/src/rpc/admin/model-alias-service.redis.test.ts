import { randomBytes } from "node:crypto";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { AuditService, ModelAliasService, Platform } from "@claude-relay/proto/admin";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore } from "../../accounts/account-store.js";
import { createCredentialCipher } from "../../accounts/credential-cipher.js";
import { createAuditLog } from "../../audit/audit-log.js";
import { createAdminSessions } from "../../auth/admin-sessions.js";
import { createAdminUsers } from "../../auth/admin-users.js";
import { createAdminHttpServer, type AdminHttpServer } from "../../http/server.js";
import { createApiKeyStore } from "../../keys/api-key-store.js";
import { createLeaseStore } from "../../leases/lease-store.js";
import { createModelAliasStore, type ModelAliasStore } from "../../models/model-alias-store.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys } from "../../redis/keys.js";
import { rpcError, signIn } from "./admin-client.test-helper.js";

const PASSWORD = "model-alias-service-test-password";
const CLOCK = 1_760_000_000_000;

let redisServer: TestRedis;
let redis: Redis;
let http: AdminHttpServer;
let baseUrl: string;
let store: ModelAliasStore;
let aliases: Client<typeof ModelAliasService>;
let audit: Client<typeof AuditService>;

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  const keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  const users = createAdminUsers({ redis, keys, scryptParams: { logN: 10, r: 8, p: 1 } });
  await users.createIfAbsent("admin", PASSWORD);
  store = createModelAliasStore({ redis, keys, now: () => CLOCK });
  http = createAdminHttpServer({
    redis,
    users,
    sessions: createAdminSessions({ redis, keys }),
    audit: createAuditLog({ redis, keys }),
    accounts: createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)) }),
    apiKeys: createApiKeyStore({ redis, keys }),
    leases: createLeaseStore({ redis, keys, ttlMs: 30_000 }),
    modelAliases: store,
    log: createLogger({ service: "control-plane", level: "silent" }),
    registry: createMetricsRegistry("control-plane"),
    now: () => CLOCK,
  });
  baseUrl = `http://127.0.0.1:${await http.listen(0, "127.0.0.1")}`;
  const { transport } = await signIn(baseUrl, "admin", PASSWORD);
  aliases = createClient(ModelAliasService, transport);
  audit = createClient(AuditService, transport);
});

afterAll(async () => {
  await http?.close();
  redis?.disconnect();
  await redisServer?.close();
});

describe("ModelAliasService", () => {
  it("sets aliases, lists them sorted by alias with their platform and time, repoints and deletes them", async () => {
    const { alias } = await aliases.setModelAlias({ alias: "gpt-4o", targetModel: "claude-sonnet-4-5" });
    expect(alias).toMatchObject({ alias: "gpt-4o", targetModel: "claude-sonnet-4-5", platform: Platform.CLAUDE });
    expect(timestampMs(alias!.updatedAt!)).toBe(CLOCK);
    // Surrounding spaces are not part of a name.
    await aliases.setModelAlias({ alias: " gpt-4o-mini ", targetModel: " gemini-2.5-flash " });
    await aliases.setModelAlias({ alias: "fast", targetModel: "gemini-2.5-flash" });

    const listed = (await aliases.listModelAliases({})).aliases;
    expect(listed.map((a) => [a.alias, a.targetModel, a.platform])).toEqual([
      ["fast", "gemini-2.5-flash", Platform.GEMINI],
      ["gpt-4o", "claude-sonnet-4-5", Platform.CLAUDE],
      ["gpt-4o-mini", "gemini-2.5-flash", Platform.GEMINI],
    ]);

    await aliases.setModelAlias({ alias: "gpt-4o", targetModel: "gemini-2.5-pro" });
    expect((await store.list()).find((a) => a.alias === "gpt-4o")).toMatchObject({ targetModel: "gemini-2.5-pro", platform: "gemini" });

    await aliases.deleteModelAlias({ alias: "fast" });
    expect((await aliases.listModelAliases({})).aliases.map((a) => a.alias)).toEqual(["gpt-4o", "gpt-4o-mini"]);
  });

  it.each([
    [{ alias: "", targetModel: "claude-sonnet-4-5" }, /^alias: must not be empty/],
    [{ alias: "claude-fast", targetModel: "claude-sonnet-4-5" }, /^alias: must not start with "claude-" or "gemini-"/],
    [{ alias: "Gemini-Pro", targetModel: "gemini-2.5-pro" }, /^alias: must not start with "claude-" or "gemini-"/],
    [{ alias: "gpt 4o", targetModel: "claude-sonnet-4-5" }, /^alias: may hold only letters, digits and/],
    [{ alias: "x".repeat(129), targetModel: "claude-sonnet-4-5" }, /^alias: must be at most 128 characters/],
    [{ alias: "gpt-4o", targetModel: "" }, /^target_model: must not be empty/],
    [{ alias: "gpt-4o", targetModel: "llama-3-70b" }, /^target_model: must start with "claude-", "gemini-", "gpt-"/],
    [{ alias: "gpt-4o", targetModel: "gemini-2.5-pro/../x" }, /^target_model: may hold only letters, digits and/],
  ])("refuses %j as INVALID_ARGUMENT naming the field", async (request, message) => {
    const err = await rpcError(aliases.setModelAlias(request));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(message);
  });

  it("answers NotFound for an alias that does not exist, and InvalidArgument for none", async () => {
    expect((await rpcError(aliases.deleteModelAlias({ alias: "no-such-alias" }))).code).toBe(Code.NotFound);
    expect((await rpcError(aliases.deleteModelAlias({ alias: "  " }))).code).toBe(Code.InvalidArgument);
  });

  it("records every write in the audit log with the alias as its target, and no read", async () => {
    await aliases.setModelAlias({ alias: "audited", targetModel: "claude-opus-4-1" });
    await aliases.listModelAliases({});
    await aliases.deleteModelAlias({ alias: "audited" });
    await rpcError(aliases.setModelAlias({ alias: "claude-audited", targetModel: "claude-opus-4-1" }));
    const { events } = await audit.listAuditEvents({ action: "ModelAlias" });
    expect(events.slice(0, 3).map((e) => [e.actor, e.action, e.targetId, e.outcome])).toEqual([
      ["admin", "ModelAliasService/SetModelAlias", "claude-audited", "invalid_argument"],
      ["admin", "ModelAliasService/DeleteModelAlias", "audited", "ok"],
      ["admin", "ModelAliasService/SetModelAlias", "audited", "ok"],
    ]);
    expect(events.some((e) => e.action === "ModelAliasService/ListModelAliases")).toBe(false);
  });

  it("needs an admin session", async () => {
    const anonymous = createClient(ModelAliasService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
    expect((await rpcError(anonymous.listModelAliases({}))).code).toBe(Code.Unauthenticated);
    expect((await rpcError(anonymous.setModelAlias({ alias: "sneaky", targetModel: "claude-sonnet-4-5" }))).code).toBe(Code.Unauthenticated);
    expect((await store.list()).some((a) => a.alias === "sneaky")).toBe(false);
  });
});

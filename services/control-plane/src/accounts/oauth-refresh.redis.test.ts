/**
 * OAuth refresh against a fake token endpoint on 127.0.0.1, with real Redis:
 * single-flight across replicas (three refreshers on three connections, then
 * three whole control planes), failures marking the account unauthorized, a
 * refresh token never sent twice, and the call going through the account's
 * proxy (HTTP CONNECT and SOCKS5, with credentials) when it has one.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Server as NetServer } from "node:net";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { AcquireRequestSchema, LeaseService, type AcquireResponse } from "@claude-relay/proto/lease";
import { freePort, startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { createProxy } from "proxy";
import socks5 from "simple-socks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildControlPlane } from "../app.js";
import { controlPlaneConfigSchema } from "../config.js";
import { createApiKeyStore, hashApiKey } from "../keys/api-key-store.js";
import { createAcquireLease } from "../leases/acquire-lease.js";
import { createLeaseStore } from "../leases/lease-store.js";
import { createRedis } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { createStickyStore } from "../sessions/sticky-store.js";
import { createAccountStore, type AccountStore } from "./account-store.js";
import { createCredentialCipher } from "./credential-cipher.js";
import { createHealthStore, type HealthStore } from "./health-store.js";
import { createOAuthRefresher, type OAuthRefresher } from "./oauth-refresh.js";
import { createOAuthTokenClient } from "./oauth-token-client.js";

const log = createLogger({ service: "control-plane", level: "silent" });
const CLIENT_ID = "test-client-id";

/** A token endpoint that records every call and answers as told, after a delay. */
interface FakeTokenEndpoint {
  url: string;
  calls: Record<string, string>[];
  answer: { status: number; body: unknown; delayMs: number };
  close(): Promise<void>;
}

async function startFakeTokenEndpoint(): Promise<FakeTokenEndpoint> {
  const endpoint = { calls: [] as Record<string, string>[], answer: { status: 200, body: {} as unknown, delayMs: 0 } };
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
    req.on("end", () => {
      endpoint.calls.push(JSON.parse(raw) as Record<string, string>);
      const { status, body, delayMs } = endpoint.answer;
      setTimeout(() => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(endpoint, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/oauth/token`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

let redisServer: TestRedis;
let redis: Redis;
let endpoint: FakeTokenEndpoint;
const encryptionKey = randomBytes(32);
let keys: RedisKeys;
let accounts: AccountStore;
let health: HealthStore;
let clock = 1_900_000_000_000;
const now = () => clock;

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  endpoint = await startFakeTokenEndpoint();
});

beforeEach(() => {
  keys = createRedisKeys({ prefix: `test-${randomBytes(6).toString("hex")}` });
  accounts = createAccountStore({ redis, cipher: createCredentialCipher(encryptionKey), now, keys });
  health = createHealthStore({ redis, keys, now, probeTtlMs: 30_000 });
  endpoint.calls.length = 0;
  endpoint.answer = { status: 200, body: { access_token: "at-2", refresh_token: "rt-2", expires_in: 3600, scope: "user:inference user:profile" }, delayMs: 0 };
});

afterAll(async () => {
  redis?.disconnect();
  await endpoint?.close();
  await redisServer?.close();
});

function oauthAccount(expiresAtMs: number, refreshToken = "rt-1", proxyUrl = "") {
  return accounts.create({ name: "sub", type: "claude-oauth", proxyUrl, credential: { kind: "oauth", accessToken: "at-1", refreshToken, expiresAtMs, scopes: ["user:inference"] } });
}

/** A refresher as one replica would build it: its own connection and stores. */
function replica(client: Redis, tokenUrl = endpoint.url): OAuthRefresher {
  return createOAuthRefresher({
    redis: client,
    keys,
    accounts: createAccountStore({ redis: client, cipher: createCredentialCipher(encryptionKey), now, keys }),
    health: createHealthStore({ redis: client, keys, now, probeTtlMs: 30_000 }),
    tokens: () => createOAuthTokenClient({ tokenUrl, clientId: CLIENT_ID, now, timeoutMs: 5_000 }),
    log,
    now,
  });
}

describe("createOAuthRefresher", () => {
  it("lets exactly one of three racing replicas call the token endpoint, and all three get the new token", async () => {
    const account = await oauthAccount(clock - 1_000);
    endpoint.answer.delayMs = 300;
    const clients = [createRedis(redisServer.url), createRedis(redisServer.url), createRedis(redisServer.url)];
    try {
      const results = await Promise.all(clients.map((c) => replica(c).refresh(account.id)));
      expect(endpoint.calls).toEqual([{ grant_type: "refresh_token", refresh_token: "rt-1", client_id: CLIENT_ID }]);
      for (const result of results) expect(result).toMatchObject({ ok: true, credential: { accessToken: "at-2", refreshToken: "rt-2" } });
      expect(results.filter((r) => r.ok && r.refreshed)).toHaveLength(1);
    } finally {
      for (const c of clients) c.disconnect();
    }
    expect(await accounts.credential(account.id)).toEqual({
      kind: "oauth",
      accessToken: "at-2",
      refreshToken: "rt-2",
      expiresAtMs: clock + 3_600_000,
      scopes: ["user:inference", "user:profile"],
    });
    expect((await accounts.get(account.id))?.tokenExpiresAtMs).toBe(clock + 3_600_000);
  });

  it("shares one refresh among concurrent callers in one replica", async () => {
    const account = await oauthAccount(clock + 60_000);
    const refresher = replica(redis);
    const results = await Promise.all([refresher.refresh(account.id), refresher.refresh(account.id), refresher.refresh(account.id)]);
    expect(endpoint.calls).toHaveLength(1);
    expect(results.every((r) => r.ok && r.credential.accessToken === "at-2")).toBe(true);
  });

  it("leaves a token alone until it is within the refresh window", async () => {
    const account = await oauthAccount(clock + 5 * 60_000 + 1);
    expect(await replica(redis).refresh(account.id)).toMatchObject({ ok: true, refreshed: false, credential: { accessToken: "at-1" } });
    expect(endpoint.calls).toHaveLength(0);
  });

  it("marks the account unauthorized when the refresh fails, and never sends that refresh token again", async () => {
    const account = await oauthAccount(clock - 1);
    endpoint.answer = { status: 400, body: { error: "invalid_grant", error_description: "secret-ish text" }, delayMs: 0 };
    expect(await replica(redis).refresh(account.id)).toEqual({ ok: false, reason: "token endpoint answered 400: invalid_grant" });
    expect(await health.read(account.id)).toMatchObject({ health: { status: "unauthorized", reason: "OAuth refresh failed: token endpoint answered 400: invalid_grant" } });

    // An admin clears the state; the same refresh token still is not sent a second time.
    await health.apply(account.id, { kind: "reset" });
    endpoint.answer = { status: 200, body: { access_token: "at-9", expires_in: 60 }, delayMs: 0 };
    expect(await replica(redis).refresh(account.id)).toMatchObject({ ok: false, reason: expect.stringContaining("already used") });
    expect(endpoint.calls).toHaveLength(1);
    expect((await health.read(account.id)).health.status).toBe("unauthorized");
  });

  it("does not spend the refresh token when the endpoint could not be reached", async () => {
    const account = await oauthAccount(clock - 1);
    const closed = `http://127.0.0.1:${await freePort()}/v1/oauth/token`;
    expect(await replica(redis, closed).refresh(account.id)).toMatchObject({ ok: false, reason: expect.stringContaining("unreachable") });
    expect((await health.read(account.id)).health.status).toBe("unauthorized");
    expect(await replica(redis).refresh(account.id)).toMatchObject({ ok: true, refreshed: true });
    expect(endpoint.calls).toEqual([expect.objectContaining({ refresh_token: "rt-1" })]);
  });

  it("lifts unauthorized once a refresh succeeds, and keeps the old refresh token when no new one is sent", async () => {
    const account = await oauthAccount(clock - 1);
    await health.apply(account.id, { kind: "block", status: "unauthorized", reason: "upstream answered 401", untilMs: 0 });
    endpoint.answer = { status: 200, body: { access_token: "at-3", expires_in: 7200 }, delayMs: 0 };
    expect(await replica(redis).refresh(account.id)).toMatchObject({ ok: true, credential: { accessToken: "at-3", refreshToken: "rt-1", scopes: ["user:inference"] } });
    expect((await health.read(account.id)).health.status).toBe("healthy");
  });
});

describe("healing an OAuth account the upstream refused", () => {
  it("refreshes a token that is not due when the upstream answered 401, which brings the account back", async () => {
    const account = await oauthAccount(clock + 3_600_000);
    await health.apply(account.id, { kind: "block", status: "unauthorized", reason: "upstream answered 401", untilMs: 0 });
    const refresher = replica(redis);
    refresher.healRefused([account, { id: "console", type: "claude-console" }], await health.conditions([account.id]));
    await refresher.drain();
    expect(endpoint.calls).toHaveLength(1);
    expect((await health.read(account.id)).health.status).toBe("healthy");
    expect(await accounts.credential(account.id)).toMatchObject({ accessToken: "at-2" });
  });

  it("does not try again after a refresh of that account already failed", async () => {
    const account = await oauthAccount(clock + 3_600_000);
    await health.apply(account.id, { kind: "block", status: "unauthorized", reason: "OAuth refresh failed: token endpoint answered 400: invalid_grant", untilMs: 0 });
    const refresher = replica(redis);
    refresher.healRefused([account], await health.conditions([account.id]));
    expect(await refresher.refresh(account.id, { refused: true })).toMatchObject({ ok: true, refreshed: false });
    await refresher.drain();
    expect(endpoint.calls).toHaveLength(0);
  });
});

describe("Acquire on an OAuth account whose token is due", () => {
  async function acquireWith(refresher: OAuthRefresher) {
    const apiKeys = createApiKeyStore({ redis, keys, now });
    const { plaintextKey } = await apiKeys.create({ name: "k" });
    const acquire = createAcquireLease({
      catalog: { findKeyByHash: apiKeys.findByHash, listAccounts: accounts.list, credential: accounts.credential },
      leases: createLeaseStore({ redis, keys, ttlMs: 30_000, now }),
      sticky: createStickyStore({ redis, keys }),
      health,
      oauth: refresher,
      log,
      now,
    });
    return acquire({ keyHash: hashApiKey(plaintextKey), model: "claude-sonnet-4-5", sessionHash: "", excludeAccounts: [] });
  }

  it("hands out the current token and refreshes in the background while it still has life left", async () => {
    const account = await oauthAccount(clock + 120_000);
    const refresher = replica(redis);
    expect(await acquireWith(refresher)).toMatchObject({ ok: true, account: { id: account.id }, credential: { accessToken: "at-1" } });
    await refresher.drain();
    expect(endpoint.calls).toHaveLength(1);
    expect(await accounts.credential(account.id)).toMatchObject({ accessToken: "at-2" });
  });

  it("waits for the refresh of an expired token, and passes the account over when the refresh fails", async () => {
    await oauthAccount(clock - 1);
    expect(await acquireWith(replica(redis))).toMatchObject({ ok: true, credential: { accessToken: "at-2" } });
    keys = createRedisKeys({ prefix: `test-${randomBytes(6).toString("hex")}` });
    accounts = createAccountStore({ redis, cipher: createCredentialCipher(encryptionKey), now, keys });
    health = createHealthStore({ redis, keys, now, probeTtlMs: 30_000 });
    await oauthAccount(clock - 1);
    endpoint.answer = { status: 401, body: { error: "invalid_grant" }, delayMs: 0 };
    expect(await acquireWith(replica(redis))).toMatchObject({ ok: false, reason: "NO_ACCOUNT" });
  });
});

describe("OAuth refresh across three control planes", () => {
  it("refreshes an expired token once for three racing Acquires on three replicas, and each lease carries the new token", async () => {
    endpoint.answer.delayMs = 300;
    const realAccounts = createAccountStore({ redis, cipher: createCredentialCipher(encryptionKey), keys });
    const account = await realAccounts.create({
      name: "sub",
      type: "claude-oauth",
      credential: { kind: "oauth", accessToken: "at-1", refreshToken: "rt-1", expiresAtMs: Date.now() - 1_000, scopes: [] },
    });
    const { plaintextKey } = await createApiKeyStore({ redis, keys }).create({ name: "k" });
    const config = loadConfig(controlPlaneConfigSchema, {
      REDIS_URL: redisServer.url,
      CONTROL_PLANE_GRPC_PORT: "0",
      CONTROL_PLANE_HTTP_PORT: "0",
      CONTROL_PLANE_METRICS_PORT: "0",
      CONTROL_PLANE_INTERNAL_TOKEN: "oauth-apps-internal-token-0123",
      CONTROL_PLANE_ENCRYPTION_KEY: encryptionKey.toString("hex"),
      CONTROL_PLANE_OAUTH_TOKEN_URL: endpoint.url,
      CONTROL_PLANE_OAUTH_CLIENT_ID: CLIENT_ID,
      ADMIN_PASSWORD: "oauth-apps-admin-password",
    });
    const apps = [0, 1, 2].map(() => buildControlPlane(config, log, { keys }));
    const clients: grpc.Client[] = [];
    try {
      const Client = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");
      for (const app of apps) clients.push(new Client(`127.0.0.1:${(await app.start()).grpcPort}`, grpc.credentials.createInsecure()));
      const metadata = new grpc.Metadata();
      metadata.set("x-internal-token", "oauth-apps-internal-token-0123");
      const request = create(AcquireRequestSchema, { keyHash: hashApiKey(plaintextKey), model: "claude-sonnet-4-5" });
      const answers = await Promise.all(
        clients.map(
          (c) =>
            new Promise<AcquireResponse>((resolve, reject) =>
              (c as unknown as { acquire: Function }).acquire(request, metadata, (err: Error | null, res: AcquireResponse) => (err ? reject(err) : resolve(res))),
            ),
        ),
      );
      expect(endpoint.calls).toHaveLength(1);
      for (const answer of answers) expect(answer.result).toMatchObject({ case: "lease", value: { account: { id: account.id, credential: "at-2" } } });
    } finally {
      for (const c of clients) c.close();
      await Promise.all(apps.map((app) => app.close()));
    }
  });

  describe("through the account's proxy", () => {
    let httpProxy: Server;
    let socksProxy: NetServer;
    let httpTunnels = 0;
    let socksLogins = 0;
    const port = (server: NetServer) => (server.address() as AddressInfo).port;

    beforeAll(async () => {
      httpProxy = createProxy(createServer());
      (httpProxy as ReturnType<typeof createProxy>).authenticate = (req) =>
        req.headers["proxy-authorization"] === `Basic ${Buffer.from("proxyuser:proxy-pass-1").toString("base64")}`;
      httpProxy.on("connect", () => httpTunnels++);
      socksProxy = socks5.createServer({
        authenticate(username, password, _socket, callback) {
          socksLogins++;
          if (username === "socksuser" && password === "socks-pass-2") callback();
          else callback(new Error("bad credentials"));
        },
      });
      await Promise.all([httpProxy, socksProxy].map((server) => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))));
    });

    afterAll(async () => {
      httpProxy?.closeAllConnections();
      await Promise.all([httpProxy, socksProxy].map((server) => new Promise((resolve) => server?.close(resolve))));
    });

    it("refreshes through an HTTP proxy with basic auth", async () => {
      const tunnels = httpTunnels;
      const account = await oauthAccount(clock - 1, "rt-1", `http://proxyuser:proxy-pass-1@127.0.0.1:${port(httpProxy)}`);
      expect(await replica(redis).refresh(account.id)).toMatchObject({ ok: true, refreshed: true });
      expect(httpTunnels).toBe(tunnels + 1);
      expect(endpoint.calls).toEqual([expect.objectContaining({ refresh_token: "rt-1" })]);
    });

    it("refreshes through a SOCKS5 proxy with auth", async () => {
      const logins = socksLogins;
      const account = await oauthAccount(clock - 1, "rt-1", `socks5://socksuser:socks-pass-2@127.0.0.1:${port(socksProxy)}`);
      expect(await replica(redis).refresh(account.id)).toMatchObject({ ok: true, refreshed: true });
      expect(socksLogins).toBe(logins + 1);
      expect(endpoint.calls).toHaveLength(1);
    });

    it("says which proxy step failed, never its password, and keeps the refresh token unspent", async () => {
      for (const proxyUrl of [`http://proxyuser:wrong-pass-9@127.0.0.1:${port(httpProxy)}`, `socks5://socksuser:wrong-pass-9@127.0.0.1:${port(socksProxy)}`]) {
        const account = await oauthAccount(clock - 1, "rt-1", proxyUrl);
        const result = await replica(redis).refresh(account.id);
        expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/account's proxy refused the tunnel \((HTTP 407|UND_ERR_SOCKS5_AUTH_FAILED)\)/) });
        expect(JSON.stringify(result)).not.toContain("wrong-pass-9");
        expect((await health.read(account.id)).health.reason).not.toContain("wrong-pass-9");
        // Nothing reached the endpoint, so the token may be sent once the proxy is fixed.
        await accounts.update(account.id, { proxyUrl: "" });
        expect(await replica(redis).refresh(account.id)).toMatchObject({ ok: true, refreshed: true });
      }
      expect(endpoint.calls).toHaveLength(2);
    });
  });
});

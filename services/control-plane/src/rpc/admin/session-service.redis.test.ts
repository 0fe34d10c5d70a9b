import { randomBytes } from "node:crypto";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { AuthService, SessionService, SessionStatus } from "@claude-relay/proto/admin";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountStore } from "../../accounts/account-store.js";
import { createCredentialCipher } from "../../accounts/credential-cipher.js";
import { createAdminSessions } from "../../auth/admin-sessions.js";
import { createAdminUsers } from "../../auth/admin-users.js";
import { createAdminHttpServer, type AdminHttpServer } from "../../http/server.js";
import { createApiKeyStore } from "../../keys/api-key-store.js";
import { createLeaseStore } from "../../leases/lease-store.js";
import { createRedis } from "../../redis/client.js";
import { createRedisKeys } from "../../redis/keys.js";
import { createAffinityCounter, type AffinityCounter } from "../../sessions/affinity-counter.js";
import { createSessionStore, type SessionStore } from "../../sessions/session-store.js";
import { createStickyStore, type StickyStore } from "../../sessions/sticky-store.js";
import { rpcError } from "./admin-client.test-helper.js";

const PASSWORD = "session-service-test-password";
const NOW = 1_700_000_000_000;

let redisServer: TestRedis;
let redis: Redis;
let http: AdminHttpServer;
let store: SessionStore;
let sticky: StickyStore;
let affinity: AffinityCounter;
let sessions: Client<typeof SessionService>;
let baseUrl: string;

beforeAll(async () => {
  redisServer = await startRedis();
  redis = createRedis(redisServer.url);
  const keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  const users = createAdminUsers({ redis, keys, scryptParams: { logN: 10, r: 8, p: 1 } });
  await users.createIfAbsent("admin", PASSWORD);
  store = createSessionStore({ redis, keys, now: () => NOW });
  sticky = createStickyStore({ redis, keys });
  affinity = createAffinityCounter({ redis, keys });
  http = createAdminHttpServer({
    redis,
    users,
    sessions: createAdminSessions({ redis, keys }),
    accounts: createAccountStore({ redis, keys, cipher: createCredentialCipher(randomBytes(32)) }),
    apiKeys: createApiKeyStore({ redis, keys }),
    leases: createLeaseStore({ redis, keys, ttlMs: 30_000 }),
    sessionRecords: store,
    affinity,
    log: createLogger({ service: "control-plane", level: "silent" }),
    registry: createMetricsRegistry("control-plane"),
  });
  baseUrl = `http://127.0.0.1:${await http.listen(0, "127.0.0.1")}`;
  const { token } = await createClient(AuthService, createConnectTransport({ baseUrl, httpVersion: "1.1" })).login({ username: "admin", password: PASSWORD });
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  sessions = createClient(SessionService, createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer] }));

  // Three sessions: two of key-1 on acct-a (one failing), one of key-2 on acct-b.
  const seed = async (hash: string, accountId: string, keyId: string, failed: boolean, status: number) => {
    await store.touch(hash, { accountId, keyId });
    await sticky.bind(hash, accountId);
    await Promise.all(store.releaseCommands({ sessionHash: hash, accountId, keyId, failed, status, nowMs: NOW }));
  };
  await seed("sess-ok", "acct-a", "key-1", false, 200);
  await seed("sess-err", "acct-a", "key-1", true, 529);
  await seed("sess-b", "acct-b", "key-2", false, 200);
  for (const result of ["new", "new", "hit", "moved"] as const) affinity.count(result);
});

afterAll(async () => {
  await http?.close();
  await affinity?.close();
  redis?.disconnect();
  await redisServer?.close();
});


const hashes = (res: { sessions: { sessionHash: string }[] }) => res.sessions.map((s) => s.sessionHash).sort();

describe("SessionService", () => {
  it("shows a session with its binding, key, times, counts and status", async () => {
    const { session } = await sessions.getSession({ sessionHash: "sess-err" });
    expect(session).toMatchObject({
      sessionHash: "sess-err",
      boundAccountId: "acct-a",
      lastAccountId: "acct-a",
      keyId: "key-1",
      requestCount: 1,
      errorCount: 1,
      lastStatus: 529,
      status: SessionStatus.ERROR,
    });
    expect(timestampMs(session!.firstSeenAt!)).toBe(NOW);
    expect((await rpcError(sessions.getSession({ sessionHash: "nope" }))).code).toBe(Code.NotFound);
  });

  it("lists sessions by key, by account and by status, page by page", async () => {
    expect(hashes(await sessions.listSessions({}))).toEqual(["sess-b", "sess-err", "sess-ok"]);
    expect(hashes(await sessions.listSessions({ keyId: "key-1" }))).toEqual(["sess-err", "sess-ok"]);
    expect(hashes(await sessions.listSessions({ accountId: "acct-b" }))).toEqual(["sess-b"]);
    expect(hashes(await sessions.listSessions({ status: SessionStatus.ERROR }))).toEqual(["sess-err"]);
    const first = await sessions.listSessions({ pageSize: 2 });
    expect(first.sessions).toHaveLength(2);
    const rest = await sessions.listSessions({ pageSize: 2, pageToken: first.nextPageToken });
    expect(rest.nextPageToken).toBe("");
    expect([...hashes(first), ...hashes(rest)].sort()).toEqual(["sess-b", "sess-err", "sess-ok"]);
  });

  it("unbinds a session so its next request picks an account afresh", async () => {
    const { session } = await sessions.unbindSession({ sessionHash: "sess-b" });
    expect(session).toMatchObject({ boundAccountId: "", lastAccountId: "acct-b", status: SessionStatus.UNBOUND });
    expect(await sticky.get("sess-b")).toBeUndefined();
    expect(hashes(await sessions.listSessions({ status: SessionStatus.UNBOUND }))).toEqual(["sess-b"]);
    expect((await rpcError(sessions.unbindSession({ sessionHash: "nope" }))).code).toBe(Code.NotFound);
  });

  it("shows the affinity counters", async () => {
    expect(await sessions.getAffinityStats({})).toMatchObject({ hits: 1n, moves: 1n, newSessions: 2n });
  });

  it("refuses bad input with InvalidArgument naming the field", async () => {
    // Each call is made only when its turn comes, so no refusal waits unobserved (an unhandled rejection).
    const checks: [() => Promise<unknown>, RegExp][] = [
      [() => sessions.listSessions({ pageSize: 501 }), /^page_size: must be at most 500/],
      [() => sessions.listSessions({ pageSize: -1 }), /^page_size: must be a non-negative integer/],
      [() => sessions.listSessions({ pageToken: "abc" }), /^page_token:/],
      [() => sessions.getSession({ sessionHash: "" }), /^session_hash: must not be empty/],
      [() => sessions.unbindSession({ sessionHash: " " }), /^session_hash: must not be empty/],
    ];
    for (const [call, message] of checks) {
      const error = await rpcError(call());
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(message);
    }
  });
});

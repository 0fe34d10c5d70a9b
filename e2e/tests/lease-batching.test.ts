/**
 * Batched lease calls against real control planes on a real redis-server:
 * two batching replicas driven by two relay lease clients that batch, a
 * replica killed while batches are in flight on it, and both mixed-version
 * pairs (a batching relay and a control plane with batches off, which answers
 * as older ones do; a relay that does not batch and a batching control plane).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AccountService, AccountType, ApiKeyService, AuthService } from "@claude-relay/proto/admin";
import { OutcomeKind } from "@claude-relay/proto/lease";
import { createLeaseClient, type LeaseClient } from "@claude-relay/relay";
import { freePort, startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startService, waitReady, type ServiceProcess } from "./support/stack.js";

const CALLS = 2_000;
const LEASE_TTL_MS = 5_000;
const ACCOUNT_LIMITS = [2, 3, 5];
const KEY_LIMIT = 6;
const TOKEN = "lease-batching-internal-token-01";
const PASSWORD = "lease-batching-admin-password";
const BATCH_MAX_CALLS = 256;
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ControlPlane {
  process: ServiceProcess;
  grpcPort: number;
  httpPort: number;
}

let redis: TestRedis;
let dataDir: string;
/** Two batching replicas, and one with batches off (as a control plane older than batches). */
let batching: [ControlPlane, ControlPlane];
let old: ControlPlane;
const clients: LeaseClient[] = [];
const limitOf = new Map<string, number>();
const keyHashes = { open: "", capped: "" };
let cappedKeyId = "";

async function startControlPlane(env: Record<string, string> = {}): Promise<ControlPlane> {
  const [grpcPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const process = startService("control-plane", {
    REDIS_URL: redis.url,
    CONTROL_PLANE_GRPC_PORT: String(grpcPort),
    CONTROL_PLANE_HTTP_PORT: String(httpPort),
    CONTROL_PLANE_METRICS_PORT: String(metricsPort),
    CONTROL_PLANE_INTERNAL_TOKEN: TOKEN,
    CONTROL_PLANE_ENCRYPTION_KEY: "c".repeat(64),
    CONTROL_PLANE_DATA_DIR: dataDir,
    CONTROL_PLANE_LEASE_TTL_MS: String(LEASE_TTL_MS),
    ADMIN_USERNAME: "admin",
    ADMIN_PASSWORD: PASSWORD,
    ...env,
  });
  await waitReady(`http://127.0.0.1:${httpPort}/readyz`, process);
  return { process, grpcPort, httpPort };
}

/** A relay's lease client over the given replicas (round-robin across them). */
function leaseClient(replicas: ControlPlane[], batchMaxCalls: number): LeaseClient {
  const target = `ipv4:${replicas.map((r) => `127.0.0.1:${r.grpcPort}`).join(",")}`;
  const client = createLeaseClient({ target, token: TOKEN, deadlineMs: 20_000, streams: 4, batchMaxCalls });
  clients.push(client);
  return client;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

beforeAll(async () => {
  redis = await startRedis({ own: true });
  dataDir = await mkdtemp(join(tmpdir(), "claude-relay-batching-"));
  // The first one alone, so it bootstraps the admin; the others find it.
  const first = await startControlPlane();
  batching = [first, await startControlPlane()];
  old = await startControlPlane({ CONTROL_PLANE_EXCHANGE_BATCHES: "false" });
  const admin = await adminOf(first.httpPort);
  for (const [i, limit] of ACCOUNT_LIMITS.entries()) {
    const { account } = await admin.accounts.createAccount({ name: `limited-${i}`, type: AccountType.CLAUDE_CONSOLE, apiKey: `sk-ant-batching-${i}`, maxConcurrentTasks: limit });
    limitOf.set(account!.id, limit);
  }
  const open = await admin.apiKeys.createApiKey({ name: "open" });
  const capped = await admin.apiKeys.createApiKey({ name: "capped", concurrencyLimit: KEY_LIMIT });
  keyHashes.open = sha256(open.plaintextKey);
  keyHashes.capped = sha256(capped.plaintextKey);
  cappedKeyId = capped.apiKey!.id;
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close(1_000)));
  await Promise.all([...(batching ?? []), ...(old ? [old] : [])].map((cp) => cp.process.stop(5_000)));
  await redis?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Admin clients of this file's control planes, logged in as their admin. */
async function adminOf(httpPort: number) {
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const { token } = await createClient(AuthService, createConnectTransport({ baseUrl, httpVersion: "1.1" })).login({ username: "admin", password: PASSWORD });
  const transport = createConnectTransport({
    baseUrl,
    httpVersion: "1.1",
    interceptors: [
      (next) => (req) => {
        req.header.set("authorization", `Bearer ${token}`);
        return next(req);
      },
    ],
  });
  return { accounts: createClient(AccountService, transport), apiKeys: createClient(ApiKeyService, transport) };
}

/** Non-expired leases in every lease set (accounts and keys), straight from Redis. */
async function slotsHeld(): Promise<number> {
  const script = "local n = 0 for _, k in ipairs(redis.call('KEYS', '*:leases:*')) do n = n + redis.call('ZCOUNT', k, '(' .. ARGV[1], '+inf') end return n";
  const { stdout } = await run("redis-cli", ["-p", String(redis.port), "EVAL", script, "0", String(Date.now())]);
  return Number(stdout.trim());
}

async function slotsHeldAfter(ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let held = await slotsHeld();
  while (held > 0 && Date.now() < deadline) {
    await sleep(100);
    held = await slotsHeld();
  }
  return held;
}

interface Report {
  granted: number;
  refused: number;
  failed: number;
  failures: Map<string, number>;
  lostReleases: number;
  /** Lease ids granted, each once. */
  leaseIds: string[];
  highest: Map<string, number>;
  highestCappedKey: number;
}

/**
 * `calls` callers at once, spread over `over`: each Acquires, and tries again 10–40 ms after a
 * refusal (up to three tries); a grant is held 1–15 ms and released. A failed call is counted, not
 * tried again. The callers' own count of leases held per account and for the capped key is checked
 * against the limits (a grant is counted when it arrives and uncounted before its Release).
 */
async function drive(over: LeaseClient[], calls: number, onStarted?: () => void): Promise<Report> {
  const report: Report = { granted: 0, refused: 0, failed: 0, failures: new Map(), lostReleases: 0, leaseIds: [], highest: new Map(), highestCappedKey: 0 };
  const holding = new Map<string, number>();
  let cappedHeld = 0;
  const all = Array.from({ length: calls }, async (_, i) => {
    const client = over[i % over.length]!;
    const keyHash = i % 2 === 0 ? keyHashes.open : keyHashes.capped;
    let answer = await client.acquire({ keyHash, model: "claude-sonnet-4-5", requestId: `b-${i}` });
    for (let tries = 1; answer.kind === "refusal" && tries < 3; tries++) {
      await sleep(10 + Math.random() * 30);
      answer = await client.acquire({ keyHash, model: "claude-sonnet-4-5", requestId: `b-${i}-${tries}` });
    }
    if (answer.kind === "error") {
      report.failed++;
      report.failures.set(answer.error.message, (report.failures.get(answer.error.message) ?? 0) + 1);
      return;
    }
    if (answer.kind === "refusal") {
      report.refused++;
      return;
    }
    const { leaseId, account, keyId } = answer.lease;
    const accountId = account!.id;
    report.granted++;
    report.leaseIds.push(leaseId);
    holding.set(accountId, (holding.get(accountId) ?? 0) + 1);
    report.highest.set(accountId, Math.max(report.highest.get(accountId) ?? 0, holding.get(accountId)!));
    if (keyId === cappedKeyId) report.highestCappedKey = Math.max(report.highestCappedKey, ++cappedHeld);
    await sleep(1 + Math.random() * 14);
    holding.set(accountId, holding.get(accountId)! - 1);
    if (keyId === cappedKeyId) cappedHeld--;
    await client.release({ leaseId, outcome: { kind: OutcomeKind.SUCCESS, status: 200 }, latencyMs: 10 }).catch(() => report.lostReleases++);
  });
  onStarted?.();
  await Promise.all(all);
  return report;
}

function expectWithinLimits(report: Report): void {
  for (const [id, limit] of limitOf) expect(report.highest.get(id) ?? 0).toBeLessThanOrEqual(limit);
  expect(report.highestCappedKey).toBeLessThanOrEqual(KEY_LIMIT);
  expect(new Set(report.leaseIds).size).toBe(report.leaseIds.length);
}

function describeReport(title: string, report: Report): string {
  return [
    `${title}: ${report.granted} granted, ${report.refused} refused, ${report.failed} failed, ${report.lostReleases} releases lost`,
    ...[...limitOf].map(([id, limit], i) => `  limited-${i} (limit ${limit}): highest held ${report.highest.get(id) ?? 0}`),
    `  capped key (limit ${KEY_LIMIT}): highest held ${report.highestCappedKey}`,
    ...[...report.failures].map(([message, n]) => `  failed ${n}x: ${message}`),
  ].join("\n");
}

describe("batched lease calls on real control planes", () => {
  it("never grant more than a limit under 2,000 concurrent Acquires over two replicas and two relays, and leave no slot", async () => {
    const relays = [leaseClient(batching, BATCH_MAX_CALLS), leaseClient(batching, BATCH_MAX_CALLS)];
    const report = await drive(relays, CALLS);
    console.log(describeReport("batching, two replicas, two relays", report));
    expectWithinLimits(report);
    expect(report.failed).toBe(0);
    expect(report.lostReleases).toBe(0);
    expect(report.refused).toBeGreaterThan(0);
    expect(report.granted).toBeGreaterThan(ACCOUNT_LIMITS.reduce((a, b) => a + b));
    expect(await slotsHeld()).toBe(0);
  }, 90_000);

  it("serves a batching relay from a control plane that does not know batches", async () => {
    const report = await drive([leaseClient([old], BATCH_MAX_CALLS)], 500);
    console.log(describeReport("batching relay, control plane with batches off", report));
    expectWithinLimits(report);
    expect(report.failed).toBe(0);
    expect(report.granted).toBeGreaterThan(0);
    expect(await slotsHeld()).toBe(0);
  }, 60_000);

  it("serves a relay that does not batch from a batching control plane", async () => {
    const report = await drive([leaseClient([batching[0]], 0)], 500);
    console.log(describeReport("single-call relay, batching control plane", report));
    expectWithinLimits(report);
    expect(report.failed).toBe(0);
    expect(report.granted).toBeGreaterThan(0);
    expect(await slotsHeld()).toBe(0);
  }, 60_000);

  it("fails or retries the batched calls of a killed replica as single calls, answers none twice, and leaks no slot past the TTL", async () => {
    const relays = [leaseClient(batching, BATCH_MAX_CALLS), leaseClient(batching, BATCH_MAX_CALLS)];
    // Streams open on both replicas before the kill.
    await drive(relays, 200);
    const victim = batching[1];
    const report = await drive(relays, CALLS, () => {
      // The Acquires are out (batched, at the end of this turn); the replica dies while they run.
      setTimeout(() => victim.process.child.kill("SIGKILL"), 20);
    });
    await victim.process.exited;
    console.log(describeReport("batching, one of two replicas killed mid-run", report));
    expectWithinLimits(report);
    expect(report.granted + report.refused + report.failed).toBe(CALLS);
    for (const message of report.failures.keys()) expect(message).toMatch(/UNAVAILABLE|DEADLINE_EXCEEDED/);
    // Slots granted on the killed replica whose answers were lost come back within one lease TTL.
    expect(await slotsHeldAfter(LEASE_TTL_MS + 2_000)).toBe(0);

    // The survivor takes all the calls after it.
    const after = await drive(relays, 200);
    expect(after.failed).toBe(0);
    expect(await slotsHeld()).toBe(0);
  }, 90_000);
});

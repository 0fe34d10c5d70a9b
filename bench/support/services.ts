/**
 * The built services as benchmark processes: control planes and relays on free
 * loopback ports (started as the e2e stack starts them), a readiness wait, and
 * the admin API calls that create accounts and a client key. The services come
 * from this repository's `dist/` unless a start names another build's root (a
 * scratch build of an older commit, see scratch-build.ts).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AccountService, AccountType, ApiKeyService, AuthService } from "@claude-relay/proto/admin";
import { freePort } from "@claude-relay/testkit";
import type { BenchProcess, ProcessGroup } from "./process-group.js";

/** The repository root. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The built entry points of the two services under a build's root. */
export function entryPoints(root: string): { "control-plane": string; relay: string } {
  return { "control-plane": join(root, "services/control-plane/dist/main.js"), relay: join(root, "services/relay/dist/main.js") };
}

/** Which build a service is started from, and how. */
export interface StartOptions {
  /** The build's root; this repository when absent. */
  root?: string;
  /** Node options before the entry point (e.g. `--cpu-prof`). */
  nodeArgs?: readonly string[];
}

/** Shared secrets of one benchmark stack (fixed: nothing here protects anything real). */
export const stackSecrets = {
  internalToken: "bench-internal-token-0123456789",
  encryptionKey: "b".repeat(64),
  adminPassword: "bench-admin-password-123",
} as const;

/** The log level of the services; info (one line per request) is what production runs. */
export function serviceLogLevel(): string {
  return process.env.BENCH_LOG_LEVEL ?? "info";
}

/** Names the missing build outputs, if any. */
export function missingBuilds(which: ReadonlyArray<"control-plane" | "relay">, root = repoRoot): string[] {
  const entries = entryPoints(root);
  return which.filter((name) => !existsSync(entries[name])).map((name) => entries[name]);
}

/** A started control-plane process. */
export interface ControlPlaneProcess {
  process: BenchProcess;
  grpcTarget: string;
  adminUrl: string;
}

/** Starts one control plane on free ports and waits until /readyz answers. */
export async function startControlPlane(
  group: ProcessGroup,
  name: string,
  redisUrl: string,
  env: Record<string, string> = {},
  { root = repoRoot, nodeArgs = [] }: StartOptions = {},
): Promise<ControlPlaneProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), "claude-relay-bench-cp-"));
  group.onClose(() => rm(dataDir, { recursive: true, force: true }));
  const [grpcPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const proc = group.service(name, entryPoints(root)["control-plane"], {
    REDIS_URL: redisUrl,
    CONTROL_PLANE_HOST: "127.0.0.1",
    CONTROL_PLANE_GRPC_PORT: String(grpcPort),
    CONTROL_PLANE_HTTP_PORT: String(httpPort),
    CONTROL_PLANE_METRICS_PORT: String(metricsPort),
    CONTROL_PLANE_INTERNAL_TOKEN: stackSecrets.internalToken,
    CONTROL_PLANE_ENCRYPTION_KEY: stackSecrets.encryptionKey,
    CONTROL_PLANE_DATA_DIR: dataDir,
    ADMIN_USERNAME: "admin",
    ADMIN_PASSWORD: stackSecrets.adminPassword,
    LOG_LEVEL: serviceLogLevel(),
    ...env,
  }, nodeArgs);
  const adminUrl = `http://127.0.0.1:${httpPort}`;
  await waitReady(`${adminUrl}/readyz`, proc);
  return { process: proc, grpcTarget: `127.0.0.1:${grpcPort}`, adminUrl };
}

/** A started relay process. */
export interface RelayProcess {
  process: BenchProcess;
  url: string;
}

/** Starts a relay in front of the given control-plane target and waits until /readyz answers. */
export async function startRelay(
  group: ProcessGroup,
  name: string,
  controlPlaneTarget: string,
  env: Record<string, string> = {},
  { root = repoRoot, nodeArgs = [] }: StartOptions = {},
): Promise<RelayProcess> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const proc = group.service(name, entryPoints(root).relay, {
    RELAY_HOST: "127.0.0.1",
    RELAY_PORT: String(port),
    RELAY_METRICS_PORT: String(metricsPort),
    RELAY_CONTROL_PLANE_URL: `dns:///${controlPlaneTarget}`,
    RELAY_INTERNAL_TOKEN: stackSecrets.internalToken,
    // A stopped relay should not hold the benchmark for its default 30 s drain.
    RELAY_DRAIN_MS: "1000",
    LOG_LEVEL: serviceLogLevel(),
    ...env,
  }, nodeArgs);
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/readyz`, proc);
  return { process: proc, url };
}

/** Polls a readiness URL until it answers 200; fails early when the process exits. */
export async function waitReady(url: string, proc: BenchProcess, timeoutMs = 30_000): Promise<void> {
  let exited = false;
  void proc.exited.then(() => (exited = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${proc.name} exited before it was ready:\n${proc.tail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms:\n${proc.tail()}`);
}

/** A client key as the relay and the lease service see it. */
export interface BenchKey {
  id: string;
  plaintext: string;
  /** Lower-case hex SHA-256 of the key, as sent in AcquireRequest.key_hash. */
  hash: string;
}

/** The admin calls a benchmark needs. */
export interface BenchAdmin {
  /** Creates a Console account with the given upstream and slot limit (0 = unlimited); returns its id. */
  createAccount(name: string, baseUrl: string, maxConcurrentTasks: number): Promise<string>;
  createKey(name: string): Promise<BenchKey>;
}

/** Logs in to the admin API as the benchmark's admin. */
export async function connectAdmin(adminUrl: string): Promise<BenchAdmin> {
  const auth = createClient(AuthService, createConnectTransport({ baseUrl: adminUrl, httpVersion: "1.1" }));
  const { token } = await auth.login({ username: "admin", password: stackSecrets.adminPassword });
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl: adminUrl, httpVersion: "1.1", interceptors: [bearer] });
  const accounts = createClient(AccountService, transport);
  const apiKeys = createClient(ApiKeyService, transport);
  return {
    async createAccount(name, baseUrl, maxConcurrentTasks) {
      const { account } = await accounts.createAccount({
        name,
        type: AccountType.CLAUDE_CONSOLE,
        baseUrl,
        apiKey: `sk-ant-bench-${name}`,
        maxConcurrentTasks,
      });
      if (!account) throw new Error(`creating account ${name} returned no account`);
      return account.id;
    },
    async createKey(name) {
      const { apiKey, plaintextKey } = await apiKeys.createApiKey({ name });
      if (!apiKey) throw new Error(`creating key ${name} returned no key`);
      return { id: apiKey.id, plaintext: plaintextKey, hash: createHash("sha256").update(plaintextKey).digest("hex") };
    },
  };
}

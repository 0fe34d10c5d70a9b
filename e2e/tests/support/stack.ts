/**
 * The whole system as real processes on loopback: our own redis-server, the
 * built control plane and relay (node dist/main.js), and the mock Anthropic
 * upstream. The admin API sets up accounts and keys as an operator would.
 * startCore is the part without an upstream, shared with the Gemini scenarios
 * (gemini-stack.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AccountService, AccountType, ApiKeyService, AuthService, NotificationService, QueueService, UsageService } from "@claude-relay/proto/admin";
import { freePort, startMockAnthropic, startRedis, type MockAnthropic, type TestRedis } from "@claude-relay/testkit";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** A running service process with its captured output. */
export interface ServiceProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after graceMs; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface Stack {
  redis: TestRedis;
  mock: MockAnthropic;
  controlPlane: ServiceProcess;
  relay: ServiceProcess;
  relayUrl: string;
  adminUrl: string;
  /** The operator ports' base URLs (/metrics). */
  relayMetricsUrl: string;
  controlPlaneMetricsUrl: string;
  grpcPort: number;
  accounts: Client<typeof AccountService>;
  apiKeys: Client<typeof ApiKeyService>;
  usage: Client<typeof UsageService>;
  queue: Client<typeof QueueService>;
  /** Upstream API key of the first account; the mock must see it, never the client key. */
  upstreamKey: string;
  /** A client key for the relay, created through the admin API. */
  clientKey: string;
  dataDir: string;
  internalToken: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  accounts?: number;
  maxConcurrentTasks?: number;
  leaseTtlMs?: number;
  relayEnv?: Record<string, string>;
  controlPlaneEnv?: Record<string, string>;
}

const ADMIN_PASSWORD = "e2e-admin-password-123";
const INTERNAL_TOKEN = "e2e-internal-token-0123456789";

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const mock = await startMockAnthropic();
  const core = await startCore({ leaseTtlMs: options.leaseTtlMs, relayEnv: options.relayEnv, controlPlaneEnv: options.controlPlaneEnv }).catch(async (err: unknown) => {
    await mock.close();
    throw err;
  });
  const { admin } = core;
  const upstreamKey = "sk-ant-upstream-e2e-0001";
  for (let i = 0; i < (options.accounts ?? 1); i++) {
    await admin.accounts.createAccount({
      name: `account-${i + 1}`,
      type: AccountType.CLAUDE_CONSOLE,
      baseUrl: mock.url,
      apiKey: i === 0 ? upstreamKey : `sk-ant-upstream-e2e-000${i + 1}`,
      priority: 50,
      maxConcurrentTasks: options.maxConcurrentTasks ?? 0,
    });
  }
  const { plaintextKey } = await admin.apiKeys.createApiKey({ name: "e2e" });

  return {
    redis: core.redis,
    mock,
    controlPlane: core.controlPlane,
    relay: core.relay,
    relayUrl: core.relayUrl,
    adminUrl: core.adminUrl,
    relayMetricsUrl: core.relayMetricsUrl,
    controlPlaneMetricsUrl: core.controlPlaneMetricsUrl,
    grpcPort: core.grpcPort,
    ...admin,
    upstreamKey,
    clientKey: plaintextKey,
    dataDir: core.dataDir,
    internalToken: core.internalToken,
    async stop() {
      await core.stop();
      await mock.close();
    },
  };
}

/** The processes every scenario needs, without an upstream or accounts. */
export interface Core {
  redis: TestRedis;
  controlPlane: ServiceProcess;
  relay: ServiceProcess;
  relayUrl: string;
  adminUrl: string;
  /** The operator ports' base URLs (/metrics). */
  relayMetricsUrl: string;
  controlPlaneMetricsUrl: string;
  grpcPort: number;
  dataDir: string;
  internalToken: string;
  admin: AdminClients;
  /** Stops the relay, then the control plane, then Redis, and removes the data directory. */
  stop(): Promise<void>;
}

export interface CoreOptions {
  leaseTtlMs?: number;
  /** Added to the control plane's environment (e.g. where the Gemini endpoints are). */
  controlPlaneEnv?: Record<string, string>;
  relayEnv?: Record<string, string>;
}

/**
 * Starts our own redis-server, the built control plane and the relay, waits until both answer
 * /readyz, and logs in to the admin API. Whatever started is stopped again when a later step fails.
 */
export async function startCore(options: CoreOptions = {}): Promise<Core> {
  for (const entry of ["services/control-plane/dist/main.js", "services/relay/dist/main.js"]) {
    if (!existsSync(join(repoRoot, entry))) throw new Error(`${entry} is missing: run \`npm run build\` first (npm test does)`);
  }
  const redis = await startRedis({ own: true });
  const dataDir = await mkdtemp(join(tmpdir(), "claude-relay-e2e-"));
  const closeRest = async () => {
    await redis.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  let pair: Replica;
  try {
    pair = await startReplica({ redis, dataDir, internalToken: INTERNAL_TOKEN }, options);
  } catch (err) {
    await closeRest();
    throw err;
  }
  const { controlPlane, relay, relayUrl, adminUrl, relayMetricsUrl, controlPlaneMetricsUrl, grpcPort, admin } = pair;
  const stop = async () => {
    await pair.stop();
    await closeRest();
  };
  return { redis, controlPlane, relay, relayUrl, adminUrl, relayMetricsUrl, controlPlaneMetricsUrl, grpcPort, dataDir, internalToken: INTERNAL_TOKEN, admin, stop };
}

/** A control plane and the relay in front of it, on a Redis they may share with other such pairs. */
export interface Replica {
  controlPlane: ServiceProcess;
  relay: ServiceProcess;
  relayUrl: string;
  adminUrl: string;
  /** The operator ports' base URLs (/metrics). */
  relayMetricsUrl: string;
  controlPlaneMetricsUrl: string;
  grpcPort: number;
  /** The admin API of this pair's control plane. */
  admin: AdminClients;
  /** Stops the relay, then the control plane; the Redis and data directory stay. */
  stop(): Promise<void>;
}

/**
 * Starts a control plane on `core`'s Redis with its secrets (internal token, encryption key, admin
 * password), and a relay that calls only that control plane; waits until both answer /readyz and
 * logs in to its admin API. startCore's own pair is one of these; calling it again with a Core
 * gives a second replica of each, sharing all state through Redis.
 */
export async function startReplica(core: Pick<Core, "redis" | "dataDir" | "internalToken">, options: CoreOptions = {}): Promise<Replica> {
  const started: ServiceProcess[] = [];
  const stop = async () => {
    for (const service of started.reverse()) await service.stop();
  };
  try {
    const [grpcPort, httpPort, relayPort] = [await freePort(), await freePort(), await freePort()];
    const [controlPlaneMetricsPort, relayMetricsPort] = [await freePort(), await freePort()];
    const controlPlane = startService("control-plane", {
      REDIS_URL: core.redis.url,
      CONTROL_PLANE_GRPC_PORT: String(grpcPort),
      CONTROL_PLANE_HTTP_PORT: String(httpPort),
      CONTROL_PLANE_METRICS_PORT: String(controlPlaneMetricsPort),
      CONTROL_PLANE_INTERNAL_TOKEN: core.internalToken,
      CONTROL_PLANE_ENCRYPTION_KEY: "a".repeat(64),
      CONTROL_PLANE_DATA_DIR: core.dataDir,
      CONTROL_PLANE_LEASE_TTL_MS: String(options.leaseTtlMs ?? 60_000),
      ADMIN_USERNAME: "admin",
      ADMIN_PASSWORD,
      ...options.controlPlaneEnv,
    });
    started.push(controlPlane);
    const adminUrl = `http://127.0.0.1:${httpPort}`;
    await waitReady(`${adminUrl}/readyz`, controlPlane);
    const relay = startService("relay", {
      RELAY_PORT: String(relayPort),
      RELAY_METRICS_PORT: String(relayMetricsPort),
      RELAY_CONTROL_PLANE_URL: `dns:///127.0.0.1:${grpcPort}`,
      RELAY_INTERNAL_TOKEN: core.internalToken,
      ...options.relayEnv,
    });
    started.push(relay);
    const relayUrl = `http://127.0.0.1:${relayPort}`;
    await waitReady(`${relayUrl}/readyz`, relay);
    const admin = await adminClients(adminUrl);
    const relayMetricsUrl = `http://127.0.0.1:${relayMetricsPort}`;
    const controlPlaneMetricsUrl = `http://127.0.0.1:${controlPlaneMetricsPort}`;
    return { controlPlane, relay, relayUrl, adminUrl, relayMetricsUrl, controlPlaneMetricsUrl, grpcPort, admin, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Typed clients of the admin API, logged in as the e2e admin. */
export interface AdminClients {
  accounts: Client<typeof AccountService>;
  apiKeys: Client<typeof ApiKeyService>;
  usage: Client<typeof UsageService>;
  queue: Client<typeof QueueService>;
  notifications: Client<typeof NotificationService>;
}

/** Logs in as the e2e admin and returns typed admin clients. */
export async function adminClients(adminUrl: string): Promise<AdminClients> {
  const auth = createClient(AuthService, createConnectTransport({ baseUrl: adminUrl, httpVersion: "1.1" }));
  const { token } = await auth.login({ username: "admin", password: ADMIN_PASSWORD });
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl: adminUrl, httpVersion: "1.1", interceptors: [bearer] });
  return {
    accounts: createClient(AccountService, transport),
    apiKeys: createClient(ApiKeyService, transport),
    usage: createClient(UsageService, transport),
    queue: createClient(QueueService, transport),
    notifications: createClient(NotificationService, transport),
  };
}

/** Starts `node services/<name>/dist/main.js` with the given environment on top of ours. */
export function startService(name: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [join(repoRoot, "services", name, "dist/main.js")], {
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => output.push(String(chunk)));
  child.stderr?.on("data", (chunk: Buffer) => output.push(String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    output,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Polls a readiness URL until it answers 200; fails early when the process dies. */
export async function waitReady(url: string, service: ServiceProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) throw new Error(`process exited early:\n${service.output.join("")}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms:\n${service.output.join("")}`);
}

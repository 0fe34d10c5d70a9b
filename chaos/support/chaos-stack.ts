/**
 * The system for fault scenarios: our own redis-server, one or more built
 * control-plane processes on it, one relay process that balances over them,
 * and the mock Anthropic upstream, all on loopback. Unlike the end-to-end
 * stack, every piece can be killed, restarted or replaced by the scenario.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AccountService, AccountType, ApiKeyService, AuthService } from "@claude-relay/proto/admin";
import { freePort, startMockAnthropic, startRedis, type MockAnthropic, type StartRedisOptions, type TestRedis } from "@claude-relay/testkit";
import { repoRoot, startService, waitReady, type ServiceProcess } from "../../e2e/tests/support/stack.js";

const INTERNAL_TOKEN = "chaos-internal-token-0123456789";
const ADMIN_PASSWORD = "chaos-admin-password-123";

/** One running control-plane replica. */
export interface ControlPlaneReplica {
  process: ServiceProcess;
  grpcPort: number;
  /** Base URL of its admin API and /readyz. */
  httpUrl: string;
  /** Base URL of its operator port (/metrics). */
  metricsUrl: string;
}

/** One running relay. */
export interface RelayProcess {
  process: ServiceProcess;
  url: string;
}

/** Options of startChaosStack. */
export interface ChaosStackOptions {
  /** Control-plane replicas (default 1); the relay balances over all of them. */
  controlPlanes?: number;
  /** CONTROL_PLANE_LEASE_TTL_MS (default 3000: short, so a lost lease comes back within the scenario). */
  leaseTtlMs?: number;
  /** The account's concurrency limit (default 0, unlimited). */
  maxConcurrentTasks?: number;
  /** Extra relay variables. */
  relayEnv?: Record<string, string>;
  /** Extra control-plane variables. */
  controlPlaneEnv?: Record<string, string>;
  /** Extra redis-server arguments (persistence for a restart). */
  redisArgs?: string[];
}

/** A started system; `redis` and `relay` may be replaced by the scenario. */
export interface ChaosStack {
  redis: TestRedis;
  redisOptions: StartRedisOptions;
  mock: MockAnthropic;
  controlPlanes: ControlPlaneReplica[];
  relay: RelayProcess;
  /** The client key, created through the admin API. */
  clientKey: string;
  accountId: string;
  keyId: string;
  /** Starts another relay with the stack's settings (e.g. after a kill) and makes it `relay`. */
  startRelay(): Promise<RelayProcess>;
  /** Stops every process still running and removes scratch folders. */
  stop(): Promise<void>;
}

/** Starts redis, the control planes, the relay and the mock, then creates one account and one key. */
export async function startChaosStack(options: ChaosStackOptions = {}): Promise<ChaosStack> {
  for (const entry of ["services/control-plane/dist/main.js", "services/relay/dist/main.js"]) {
    if (!existsSync(join(repoRoot, entry))) throw new Error(`${entry} is missing: run \`npm run build\` first (npm run test:chaos does)`);
  }
  const redisOptions: StartRedisOptions = { own: true, args: options.redisArgs ?? [] };
  const redis = await startRedis(redisOptions);
  redisOptions.port = redis.port;
  const mock = await startMockAnthropic();
  const dataDir = await mkdtemp(join(tmpdir(), "claude-relay-chaos-"));
  const started: ServiceProcess[] = [];
  const stack: ChaosStack = {
    redis,
    redisOptions,
    mock,
    controlPlanes: [],
    relay: undefined as unknown as RelayProcess,
    clientKey: "",
    accountId: "",
    keyId: "",
    async startRelay() {
      const [port, metricsPort] = [await freePort(), await freePort()];
      const target = `ipv4:${stack.controlPlanes.map((cp) => `127.0.0.1:${cp.grpcPort}`).join(",")}`;
      const service = startService("relay", {
        RELAY_PORT: String(port),
        RELAY_METRICS_PORT: String(metricsPort),
        RELAY_CONTROL_PLANE_URL: target,
        RELAY_INTERNAL_TOKEN: INTERNAL_TOKEN,
        ...options.relayEnv,
      });
      started.push(service);
      const url = `http://127.0.0.1:${port}`;
      await waitReady(`${url}/readyz`, service);
      stack.relay = { process: service, url };
      return stack.relay;
    },
    async stop() {
      await Promise.allSettled(started.map((p) => p.stop(5_000)));
      await mock.close();
      await stack.redis.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  try {
    for (let i = 0; i < (options.controlPlanes ?? 1); i++) {
      const [grpcPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
      const service = startService("control-plane", {
        REDIS_URL: redis.url,
        CONTROL_PLANE_GRPC_PORT: String(grpcPort),
        CONTROL_PLANE_HTTP_PORT: String(httpPort),
        CONTROL_PLANE_METRICS_PORT: String(metricsPort),
        CONTROL_PLANE_INTERNAL_TOKEN: INTERNAL_TOKEN,
        CONTROL_PLANE_ENCRYPTION_KEY: "c".repeat(64),
        CONTROL_PLANE_DATA_DIR: dataDir,
        CONTROL_PLANE_LEASE_TTL_MS: String(options.leaseTtlMs ?? 3_000),
        ADMIN_USERNAME: "admin",
        ADMIN_PASSWORD,
        ...options.controlPlaneEnv,
      });
      started.push(service);
      const httpUrl = `http://127.0.0.1:${httpPort}`;
      await waitReady(`${httpUrl}/readyz`, service);
      stack.controlPlanes.push({ process: service, grpcPort, httpUrl, metricsUrl: `http://127.0.0.1:${metricsPort}` });
    }
    await stack.startRelay();
    const admin = await adminClients(stack.controlPlanes[0]!.httpUrl);
    const { account } = await admin.accounts.createAccount({
      name: "chaos-account",
      type: AccountType.CLAUDE_CONSOLE,
      baseUrl: mock.url,
      apiKey: "sk-ant-upstream-chaos-0001",
      priority: 50,
      maxConcurrentTasks: options.maxConcurrentTasks ?? 0,
    });
    const { apiKey, plaintextKey } = await admin.apiKeys.createApiKey({ name: "chaos" });
    stack.accountId = account?.id ?? "";
    stack.keyId = apiKey?.id ?? "";
    stack.clientKey = plaintextKey;
    return stack;
  } catch (err) {
    await stack.stop();
    throw err;
  }
}

/** Signs in as the stack's admin and returns the account and key clients. */
async function adminClients(baseUrl: string) {
  const auth = createClient(AuthService, createConnectTransport({ baseUrl, httpVersion: "1.1" }));
  const { token } = await auth.login({ username: "admin", password: ADMIN_PASSWORD });
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer] });
  return { accounts: createClient(AccountService, transport), apiKeys: createClient(ApiKeyService, transport) };
}

/** Kills a process with SIGKILL and waits until it is gone. */
export async function killHard(service: ServiceProcess): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill("SIGKILL");
  await service.exited;
}

/** True while the process runs. */
export function isRunning(service: ServiceProcess): boolean {
  return service.child.exitCode === null && service.child.signalCode === null;
}

/**
 * `claude-relay up` (what `npm start` runs): the whole system on one machine.
 * It starts redis-server on a free port when REDIS_URL is unset, then the
 * control plane and the relay, waits until each is ready, prints the URLs (the
 * operators' /metrics ports among them) and the admin credentials, and stops everything in reverse order on Ctrl-C or
 * SIGTERM.
 */
import { execFileSync } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startChild, type Supervised } from "./child-process.js";
import { adminPasswordFile, loadLocalSecrets, readOptional, resolveDataDir } from "./data-dir.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export async function upCommand(env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const dataDir = resolveDataDir(env);
  const secrets = await loadLocalSecrets(dataDir, env);
  const passwordFile = adminPasswordFile(dataDir);
  const hadPassword = (await readOptional(passwordFile)) !== undefined;
  const relayPort = Number(env.RELAY_PORT ?? 8080);
  const httpPort = Number(env.CONTROL_PLANE_HTTP_PORT ?? 8081);
  const grpcPort = Number(env.CONTROL_PLANE_GRPC_PORT ?? 50051);
  // The services' own defaults, made explicit so the URLs printed below are the ones they bind.
  const relayMetricsPort = Number(env.RELAY_METRICS_PORT ?? 9464);
  const controlPlaneMetricsPort = Number(env.CONTROL_PLANE_METRICS_PORT ?? 9465);
  const host = "127.0.0.1";
  const children: Supervised[] = [];
  let stopping = false;
  let redisUrlShown = "";

  const stopAll = async () => {
    stopping = true;
    for (const child of [...children].reverse()) await child.stop(child.name === "relay" ? Number(env.RELAY_DRAIN_MS ?? 30_000) + 5_000 : 10_000);
  };
  const onSignal = () => {
    if (stopping) return;
    out("stopping…");
    void stopAll().then(() => process.exit(0));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    let redisUrl = env.REDIS_URL;
    if (!redisUrl) {
      if (!hasCommand("redis-server")) {
        out("redis-server not found: install it (Debian: apt-get install -y redis-server; macOS: brew install redis) or set REDIS_URL");
        return 1;
      }
      const redisPort = await freePort();
      await mkdir(join(dataDir, "redis"), { recursive: true });
      const args = ["--port", String(redisPort), "--bind", host, "--dir", join(dataDir, "redis"), "--appendonly", "yes", "--save", ""];
      children.push(startChild("redis", "redis-server", args, env, out));
      redisUrl = `redis://${host}:${redisPort}`;
      await waitFor(children, () => redisPing(redisPort), "redis");
      redisUrlShown = `${redisUrl} (started here, data in ${join(dataDir, "redis")})`;
    } else {
      redisUrlShown = redactUrl(redisUrl);
    }

    const controlPlaneEnv = {
      ...env,
      REDIS_URL: redisUrl,
      CONTROL_PLANE_INTERNAL_TOKEN: secrets.internalToken,
      CONTROL_PLANE_ENCRYPTION_KEY: secrets.encryptionKey,
      CONTROL_PLANE_DATA_DIR: dataDir,
      CONTROL_PLANE_HTTP_PORT: String(httpPort),
      CONTROL_PLANE_GRPC_PORT: String(grpcPort),
      CONTROL_PLANE_METRICS_PORT: String(controlPlaneMetricsPort),
    };
    children.push(startChild("control-plane", process.execPath, [join(repoRoot, "services/control-plane/dist/main.js")], controlPlaneEnv, out));
    await waitFor(children, () => httpReady(`http://${host}:${httpPort}/readyz`), "control plane");

    const relayEnv = {
      ...env,
      RELAY_PORT: String(relayPort),
      RELAY_METRICS_PORT: String(relayMetricsPort),
      RELAY_INTERNAL_TOKEN: secrets.internalToken,
      RELAY_CONTROL_PLANE_URL: env.RELAY_CONTROL_PLANE_URL ?? `dns:///${host}:${grpcPort}`,
    };
    children.push(startChild("relay", process.execPath, [join(repoRoot, "services/relay/dist/main.js")], relayEnv, out));
    await waitFor(children, () => httpReady(`http://${host}:${relayPort}/readyz`), "relay");
  } catch (err) {
    out(`start failed: ${(err as Error).message}`);
    await stopAll();
    return 1;
  }

  const username = env.ADMIN_USERNAME ?? "admin";
  const password = await readOptional(passwordFile);
  out("");
  out("claude-relay is up");
  out(`  relay      http://${host}:${relayPort}   (ANTHROPIC_BASE_URL for clients)`);
  out(`  admin API  http://${host}:${httpPort}`);
  out(`  admin UI   http://${host}:${httpPort}/admin/`);
  out(`  admin      ${username} / ${adminPasswordHint(env, password, hadPassword, passwordFile)}`);
  out(`  metrics    http://${env.RELAY_METRICS_HOST || host}:${relayMetricsPort}/metrics (relay)   http://${env.CONTROL_PLANE_METRICS_HOST || host}:${controlPlaneMetricsPort}/metrics (control plane)`);
  out(`  redis      ${redisUrlShown}`);
  out(`  data       ${dataDir}`);
  out("");
  out("next: npx claude-relay accounts add --name main --api-key sk-ant-…   then   npx claude-relay keys create --name me");
  out("stop with Ctrl-C");

  const code = await Promise.race(children.map((c) => c.exited.then((exit) => ({ name: c.name, exit }))));
  if (!stopping) {
    out(`${code.name} exited (${code.exit}); stopping the rest`);
    await stopAll();
    return 1;
  }
  return 0;
}

function adminPasswordHint(env: NodeJS.ProcessEnv, password: string | undefined, hadPassword: boolean, file: string): string {
  if (env.ADMIN_PASSWORD) return "the password in ADMIN_PASSWORD";
  if (password && !hadPassword) return `${password}   (generated now, shown once; kept in ${file})`;
  if (password) return `generated at first start, kept in ${file}`;
  return "set at first start (ADMIN_PASSWORD)";
}

/** A URL with its password masked, for printing. */
function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(REDIS_URL)";
  }
}

function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function waitFor(children: Supervised[], check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = children.find((c) => c.child.exitCode !== null || c.child.signalCode !== null);
    if (dead) throw new Error(`${dead.name} exited before ${what} was ready`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function httpReady(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function redisPing(port: number): Promise<boolean> {
  return import("node:net").then(
    ({ connect }) =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, "127.0.0.1");
        socket.setTimeout(500);
        socket.on("connect", () => socket.write("PING\r\n"));
        socket.on("data", (chunk) => {
          socket.destroy();
          resolve(String(chunk).startsWith("+PONG"));
        });
        socket.on("error", () => resolve(false));
        socket.on("timeout", () => {
          socket.destroy();
          resolve(false);
        });
      }),
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

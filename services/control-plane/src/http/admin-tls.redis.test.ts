/**
 * The admin port with a certificate: the whole control plane on a real
 * redis-server speaks TLS, HTTP/1.1 to browsers and curl and HTTP/2 to gRPC
 * clients, chosen by ALPN. The certificate is made for the test by openssl.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { connect as connectHttp2 } from "node:http2";
import type { TLSSocket } from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildControlPlane, type ControlPlane } from "../app.js";
import { controlPlaneConfigSchema } from "../config.js";
import { createRedisKeys } from "../redis/keys.js";

const run = promisify(execFile);
const BUF = fileURLToPath(new URL("../../../../node_modules/.bin/buf", import.meta.url));

let redis: TestRedis;
let dir: string;
let app: ControlPlane;
let port: number;
let ca: Buffer;

beforeAll(async () => {
  redis = await startRedis();
  dir = await mkdtemp(join(tmpdir(), "control-plane-admin-tls-"));
  const [cert, key] = [join(dir, "cert.pem"), join(dir, "key.pem")];
  await run("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert,
  ]);
  ca = await readFile(cert);
  const config = loadConfig(controlPlaneConfigSchema, {
    REDIS_URL: redis.url,
    CONTROL_PLANE_GRPC_PORT: "0",
    CONTROL_PLANE_HTTP_PORT: "0",
    CONTROL_PLANE_METRICS_PORT: "0",
    CONTROL_PLANE_HOST: "127.0.0.1",
    CONTROL_PLANE_INTERNAL_TOKEN: "admin-tls-test-internal-token",
    CONTROL_PLANE_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    CONTROL_PLANE_DATA_DIR: dir,
    CONTROL_PLANE_HTTP_TLS_CERT_FILE: cert,
    CONTROL_PLANE_HTTP_TLS_KEY_FILE: key,
    ADMIN_PASSWORD: "admin-tls-test-password",
  });
  app = buildControlPlane(config, createLogger({ service: "control-plane", level: "silent" }), {
    keys: createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` }),
  });
  ({ httpPort: port } = await app.start());
});

afterAll(async () => {
  await app?.close();
  await redis?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the admin port with a certificate", () => {
  it("answers HTTP/1.1 over TLS, the way browsers and curl call it", async () => {
    const answer = await new Promise<{ status: number; body: string; alpn: string | false | null }>((resolve, reject) => {
      // No ALPN offered, as older clients do: the server must fall back to HTTP/1.1.
      const req = httpsRequest({ host: "127.0.0.1", port, path: "/livez", ca, agent: false }, (res) => {
        const alpn = (res.socket as TLSSocket).alpnProtocol;
        let body = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, alpn }));
      });
      req.on("error", reject);
      req.end();
    });
    expect(answer).toEqual({ status: 200, body: "ok\n", alpn: false });
  });

  it("answers HTTP/2 over TLS when the client offers h2", async () => {
    const session = connectHttp2(`https://127.0.0.1:${port}`, { ca });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ":path": "/livez" });
        stream.on("response", (headers) => resolve(Number(headers[":status"])));
        stream.on("error", reject);
        stream.resume();
        stream.end();
      });
      expect(status).toBe(200);
      expect(session.alpnProtocol).toBe("h2");
    } finally {
      session.close();
    }
  });

  it("serves gRPC over TLS: buf curl checks health and lists the services by reflection", async () => {
    const target = `https://127.0.0.1:${port}`;
    const health = await run(BUF, ["curl", "--protocol", "grpc", "--cacert", join(dir, "cert.pem"), `${target}/grpc.health.v1.Health/Check`]);
    expect(JSON.parse(health.stdout)).toEqual({ status: "SERVING" });
    const listed = await run(BUF, ["curl", "--protocol", "grpc", "--cacert", join(dir, "cert.pem"), "--list-services", target]);
    expect(listed.stdout.split("\n")).toContain("claude_relay.admin.v1.ApiKeyService");
  });

  it("refuses a client that speaks cleartext to it", async () => {
    await expect(fetch(`http://127.0.0.1:${port}/livez`, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
  });
});

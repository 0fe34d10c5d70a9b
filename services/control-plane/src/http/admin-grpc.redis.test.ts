/**
 * The admin port as internal services use it: a standard gRPC client over
 * HTTP/2 (grpc-js with the generated descriptors, and buf curl with nothing
 * but reflection) and Connect JSON over HTTP/1.1, both with service tokens,
 * against the whole control plane on a real redis-server.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { connect as connectHttp2 } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { create, type DescMethod, type DescService } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { ApiKeyService } from "@claude-relay/proto/admin";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildControlPlane, type ControlPlane } from "../app.js";
import { controlPlaneConfigSchema } from "../config.js";
import { createRedisKeys } from "../redis/keys.js";

const BUF = fileURLToPath(new URL("../../../../node_modules/.bin/buf", import.meta.url));
const PASSWORD = "admin-grpc-test-password";

let redis: TestRedis;
let dataDir: string;
let app: ControlPlane;
let base: string;
let adminToken: string;
const tokens: Record<"writer" | "reader" | "revoked", string> = { writer: "", reader: "", revoked: "" };

/** A Connect JSON call over HTTP/1.1 (fetch), as curl makes it. */
async function connectCall(path: string, body: unknown, bearer: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function createToken(name: string, scopes: string[]): Promise<{ id: string; token: string }> {
  const { status, json } = await connectCall("claude_relay.admin.v1.ServiceTokenService/CreateServiceToken", { name, scopes }, adminToken);
  expect(status).toBe(200);
  return { id: (json.serviceToken as { id: string }).id, token: json.token as string };
}

function bufCurl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BUF, ["curl", ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A grpc-js client of one admin service on the admin port. */
function grpcClient(service: DescService): grpc.Client & Record<string, Function> {
  const Client = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(service), service.name);
  return new Client(base.replace("http://", ""), grpc.credentials.createInsecure()) as grpc.Client & Record<string, Function>;
}

function unary<T>(client: grpc.Client & Record<string, Function>, method: DescMethod, init: Record<string, unknown>, bearer: string): Promise<T> {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${bearer}`);
  return new Promise((resolve, reject) => {
    client[method.localName]!(create(method.input, init), metadata, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

beforeAll(async () => {
  redis = await startRedis();
  dataDir = await mkdtemp(join(tmpdir(), "control-plane-admin-grpc-"));
  const config = loadConfig(controlPlaneConfigSchema, {
    REDIS_URL: redis.url,
    CONTROL_PLANE_GRPC_PORT: "0",
    CONTROL_PLANE_HTTP_PORT: "0",
    CONTROL_PLANE_METRICS_PORT: "0",
    CONTROL_PLANE_HOST: "127.0.0.1",
    CONTROL_PLANE_INTERNAL_TOKEN: "admin-grpc-test-internal-token",
    CONTROL_PLANE_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    CONTROL_PLANE_DATA_DIR: dataDir,
    ADMIN_PASSWORD: PASSWORD,
  });
  app = buildControlPlane(config, createLogger({ service: "control-plane", level: "silent" }), {
    keys: createRedisKeys({ prefix: `test-${randomBytes(4).toString("hex")}` }),
  });
  const { httpPort } = await app.start();
  base = `http://127.0.0.1:${httpPort}`;
  const login = await fetch(`${base}/claude_relay.admin.v1.AuthService/Login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin", password: PASSWORD }),
  });
  adminToken = ((await login.json()) as { token: string }).token;
  tokens.writer = (await createToken("onboarding", ["keys:write"])).token;
  tokens.reader = (await createToken("dashboard", ["read"])).token;
  const revoked = await createToken("retired", ["keys:write"]);
  tokens.revoked = revoked.token;
  const revoke = await connectCall("claude_relay.admin.v1.ServiceTokenService/RevokeServiceToken", { id: revoked.id }, adminToken);
  expect(revoke.json).toMatchObject({ serviceToken: { state: "SERVICE_TOKEN_STATE_REVOKED" } });
});

afterAll(async () => {
  await app?.close();
  await redis?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("the admin port over gRPC (HTTP/2)", () => {
  it("lists every admin service and the health service by reflection", async () => {
    const result = await bufCurl(["--protocol", "grpc", "--http2-prior-knowledge", "--list-services", base]);
    expect(result.stderr).toBe("");
    // Contains rather than equals: a service added later is listed as well.
    expect(result.stdout.split("\n").filter(Boolean)).toEqual(expect.arrayContaining([
      "claude_relay.admin.v1.AccountService",
      "claude_relay.admin.v1.ApiKeyService",
      "claude_relay.admin.v1.AuditService",
      "claude_relay.admin.v1.AuthService",
      "claude_relay.admin.v1.ModelAliasService",
      "claude_relay.admin.v1.ServiceTokenService",
      "claude_relay.admin.v1.SessionService",
      "claude_relay.admin.v1.UsageService",
      "grpc.health.v1.Health",
    ]));
  });

  it("creates a key with a keys:write token from grpc-js", async () => {
    const client = grpcClient(ApiKeyService);
    try {
      const res = await unary<{ apiKey: { name: string }; plaintextKey: string }>(client, ApiKeyService.method.createApiKey, { name: "grpc-js engineer" }, tokens.writer);
      expect(res.apiKey.name).toBe("grpc-js engineer");
      expect(res.plaintextKey).not.toBe("");
    } finally {
      client.close();
    }
  });

  it("creates a key with a keys:write token from buf curl, knowing the schema only by reflection", async () => {
    const result = await bufCurl([
      "--protocol", "grpc", "--http2-prior-knowledge",
      "-H", `authorization: Bearer ${tokens.writer}`,
      "-d", '{"name":"buf-curl engineer"}',
      `${base}/claude_relay.admin.v1.ApiKeyService/CreateApiKey`,
    ]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toMatchObject({ apiKey: { name: "buf-curl engineer" } });
  });

  it("refuses a read-only token with PERMISSION_DENIED and lets it list", async () => {
    const client = grpcClient(ApiKeyService);
    try {
      const err = await unary(client, ApiKeyService.method.createApiKey, { name: "nope" }, tokens.reader).catch((e: grpc.ServiceError) => e);
      expect((err as grpc.ServiceError).code).toBe(grpc.status.PERMISSION_DENIED);
      // connect-node percent-encodes grpc-message fully; grpc-js decodes it with decodeURI, which leaves ":" and "/" encoded.
      expect(decodeURIComponent((err as grpc.ServiceError).details)).toContain("lacks the scope keys:write");
      const list = await unary<{ apiKeys: { name: string }[] }>(client, ApiKeyService.method.listApiKeys, {}, tokens.reader);
      expect(list.apiKeys.map((key) => key.name)).toContain("grpc-js engineer");
    } finally {
      client.close();
    }
  });

  it("refuses a revoked token and an unknown one with UNAUTHENTICATED", async () => {
    const client = grpcClient(ApiKeyService);
    try {
      for (const bearer of [tokens.revoked, `crst_${"x".repeat(43)}`]) {
        const err = await unary(client, ApiKeyService.method.createApiKey, { name: "nope" }, bearer).catch((e: grpc.ServiceError) => e);
        expect((err as grpc.ServiceError).code).toBe(grpc.status.UNAUTHENTICATED);
      }
    } finally {
      client.close();
    }
  });

  it("answers the gRPC health check without a credential", async () => {
    const result = await bufCurl(["--protocol", "grpc", "--http2-prior-knowledge", "-d", "{}", `${base}/grpc.health.v1.Health/Check`]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({ status: "SERVING" });
  });

  it("serves the plain endpoints over HTTP/2 too", async () => {
    const session = connectHttp2(base);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ":path": "/livez" });
        let text = "";
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => (text += chunk));
        stream.on("end", () => resolve(text));
        stream.on("error", reject);
      });
      expect(body).toBe("ok\n");
    } finally {
      session.close();
    }
  });
});

describe("the admin port over Connect JSON (HTTP/1.1)", () => {
  it("accepts the same tokens with the same answers", async () => {
    const created = await connectCall("claude_relay.admin.v1.ApiKeyService/CreateApiKey", { name: "connect engineer" }, tokens.writer);
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ apiKey: { name: "connect engineer" } });
    const denied = await connectCall("claude_relay.admin.v1.ApiKeyService/CreateApiKey", { name: "nope" }, tokens.reader);
    expect([denied.status, denied.json.code]).toEqual([403, "permission_denied"]);
    const revoked = await connectCall("claude_relay.admin.v1.ApiKeyService/CreateApiKey", { name: "nope" }, tokens.revoked);
    expect([revoked.status, revoked.json.code]).toEqual([401, "unauthenticated"]);
    const manage = await connectCall("claude_relay.admin.v1.ServiceTokenService/ListServiceTokens", {}, tokens.writer);
    expect([manage.status, manage.json.code]).toEqual([403, "permission_denied"]);
  });

  it("records every call a token made under its name, reads and refusals included", async () => {
    const { json } = await connectCall("claude_relay.admin.v1.AuditService/ListAuditEvents", { pageSize: 100 }, adminToken);
    const events = (json.events as { actor: string; action: string; outcome: string; targetName?: string }[]).map((e) => [e.actor, e.action, e.outcome, e.targetName ?? ""]);
    expect(events).toEqual(
      expect.arrayContaining([
        ["token:onboarding", "ApiKeyService/CreateApiKey", "ok", "grpc-js engineer"],
        ["token:onboarding", "ApiKeyService/CreateApiKey", "ok", "buf-curl engineer"],
        ["token:onboarding", "ApiKeyService/CreateApiKey", "ok", "connect engineer"],
        ["token:onboarding", "ServiceTokenService/ListServiceTokens", "permission_denied", ""],
        ["token:dashboard", "ApiKeyService/CreateApiKey", "permission_denied", "nope"],
        ["token:dashboard", "ApiKeyService/ListApiKeys", "ok", ""],
        ["admin", "ServiceTokenService/CreateServiceToken", "ok", "onboarding"],
      ]),
    );
    expect(events.some(([actor]) => actor === "token:retired")).toBe(false);
    // The caller's address reaches the log over HTTP/2 as over HTTP/1.1.
    const raw = json.events as { targetName?: string; sourceAddress: string }[];
    expect(raw.find((e) => e.targetName === "grpc-js engineer")?.sourceAddress).toBe("127.0.0.1");
    expect(raw.find((e) => e.targetName === "connect engineer")?.sourceAddress).toBe("127.0.0.1");
  });

  it("shows each token's last use to the admin", async () => {
    const { json } = await connectCall("claude_relay.admin.v1.ServiceTokenService/ListServiceTokens", {}, adminToken);
    const listed = json.serviceTokens as { name: string; lastUsedAt?: string; state: string; scopes: string[] }[];
    expect(listed.find((t) => t.name === "onboarding")).toMatchObject({ state: "SERVICE_TOKEN_STATE_ACTIVE", scopes: ["keys:write"], lastUsedAt: expect.any(String) });
    expect(listed.find((t) => t.name === "retired")).toMatchObject({ state: "SERVICE_TOKEN_STATE_REVOKED" });
    expect(listed.find((t) => t.name === "retired")?.lastUsedAt).toBeUndefined();
  });
});

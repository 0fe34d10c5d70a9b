import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Secret } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AcquireInput } from "../leases/acquire-lease.js";
import { createLeaseMetrics } from "./lease-metrics.js";
import { createLeaseServer, type LeaseServer } from "./lease-server.js";

const TOKEN = "reflection-test-token-0123456789";
const BUF = fileURLToPath(new URL("../../../../node_modules/.bin/buf", import.meta.url));

let server: LeaseServer;
let base: string;
const seen: AcquireInput[] = [];

beforeAll(async () => {
  server = createLeaseServer({
    acquire: async (input) => {
      seen.push(input);
      return { ok: false, reason: "KEY_INVALID", message: "unknown key", retryAfterMs: 0 };
    },
    renew: async () => ({ ok: false, reason: "NOT_FOUND" }),
    release: async () => ({ held: false }),
    internalToken: new Secret(TOKEN),
    metrics: createLeaseMetrics(createMetricsRegistry("reflection-test")),
    log: createLogger({ service: "control-plane", level: "silent" }),
    isServing: async () => true,
  });
  const port = await server.listen("127.0.0.1", 0);
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await server?.close(1_000);
});

/** Runs `buf curl` over gRPC without any schema: everything it knows comes from reflection. */
function bufCurl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BUF, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("gRPC server reflection", () => {
  it("is served by buf, which the repository installs", () => {
    expect(existsSync(BUF)).toBe(true);
  });

  it("lists the lease service and the health service to a caller without a token", async () => {
    const result = await bufCurl(["--list-services", base]);
    expect(result.stderr).toBe("");
    expect(result.stdout.split("\n").filter(Boolean).sort()).toEqual(["claude_relay.lease.v1.LeaseService", "grpc.health.v1.Health"]);
  });

  it("lets buf curl call Acquire with no proto files, the token still required for the call itself", async () => {
    const body = JSON.stringify({ keyHash: "ab".repeat(32), model: "claude-test" });
    const url = `${base}/claude_relay.lease.v1.LeaseService/Acquire`;
    const withToken = await bufCurl(["-H", `x-internal-token: ${TOKEN}`, "-d", body, url]);
    expect(withToken.stderr).toBe("");
    expect(JSON.parse(withToken.stdout)).toEqual({ refusal: { reason: "REFUSAL_REASON_KEY_INVALID", message: "unknown key" } });
    expect(seen.at(-1)).toMatchObject({ keyHash: "ab".repeat(32), model: "claude-test" });

    const without = await bufCurl(["-d", body, url]);
    expect(without.code).not.toBe(0);
    expect(without.stderr).toContain("unauthenticated");
  });

  it("lets buf curl call the health check by reflection, without a token", async () => {
    const result = await bufCurl(["-d", "{}", `${base}/grpc.health.v1.Health/Check`]);
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({ status: "SERVING" });
  });
});

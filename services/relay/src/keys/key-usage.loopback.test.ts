/**
 * GET /v1/key/usage on a relay built by buildRelay, on loopback, in front of a
 * LeaseService that serves GetKeyUsage only (a real grpc-js server behind the
 * generated definition): the report passes through as the control plane wrote
 * it; every wrong key, whatever the control plane said about it, gets one 401
 * that names nothing but the error; KEY_LIMIT is 429 with retry-after; an
 * unreachable control plane is 503.
 */
import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { GetKeyUsageResponseSchema, LeaseService, RefusalReason, type GetKeyUsageRequest, type GetKeyUsageResponse } from "@claude-relay/proto/lease";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRelay, type Relay } from "../app.js";
import { relayConfigSchema } from "../config.js";
import { clientAddress } from "./key-usage.js";

const TOKEN = "internal-token-for-tests-0123456789";
const GOOD_KEY = "cr_the-holders-own-key-0001";
const REVOKED_KEY = "cr_a-revoked-key-0002";
const BUSY_KEY = "cr_asked-too-often-0003";
const REPORT = JSON.stringify({ key: { name: "holder", prefix: "cr_the-" }, usage: { today: { requests: 3 } } });
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

let server: grpc.Server;
let relay: Relay;
let url: string;
let metricsUrl: string;
const asked: GetKeyUsageRequest[] = [];

/** What the control plane answers each key: the report, a refusal with its own words, or a rate limit. */
function answerFor(keyHash: string): GetKeyUsageResponse {
  if (keyHash === sha256(GOOD_KEY)) return create(GetKeyUsageResponseSchema, { result: { case: "reportJson", value: REPORT } });
  if (keyHash === sha256(BUSY_KEY)) {
    return create(GetKeyUsageResponseSchema, { result: { case: "refusal", value: { reason: RefusalReason.KEY_LIMIT, message: "too many key usage lookups from this address", retryAfterMs: 2_500 } } });
  }
  const message = keyHash === sha256(REVOKED_KEY) ? "this API key has been revoked" : "invalid x-api-key";
  return create(GetKeyUsageResponseSchema, { result: { case: "refusal", value: { reason: RefusalReason.KEY_INVALID, message } } });
}

beforeAll(async () => {
  server = new grpc.Server();
  server.addService(toGrpcServiceDefinition(LeaseService), {
    getKeyUsage: (call: grpc.ServerUnaryCall<GetKeyUsageRequest, GetKeyUsageResponse>, callback: grpc.sendUnaryData<GetKeyUsageResponse>) => {
      if (call.metadata.get("x-internal-token")[0] !== TOKEN) return callback({ code: grpc.status.UNAUTHENTICATED, details: "bad token" });
      asked.push(call.request);
      callback(null, answerFor(call.request.keyHash));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  const config = loadConfig(relayConfigSchema, {
    RELAY_PORT: "0",
    RELAY_METRICS_PORT: "0",
    RELAY_CONTROL_PLANE_URL: `dns:///127.0.0.1:${port}`,
    RELAY_INTERNAL_TOKEN: TOKEN,
    RELAY_CONTROL_PLANE_DEADLINE_MS: "2000",
  });
  relay = buildRelay(config, createLogger({ service: "relay", level: "silent" }));
  const { port: relayPort, metricsPort } = await relay.start();
  url = `http://127.0.0.1:${relayPort}`;
  metricsUrl = `http://127.0.0.1:${metricsPort}`;
});

afterAll(async () => {
  await relay?.close({ drainMs: 0 });
  server?.forceShutdown();
});

function usage(headers: Record<string, string>): Promise<Response> {
  return fetch(`${url}/v1/key/usage`, { headers });
}

/** A 401 body without its request id, which differs on every answer. */
async function bodyWithoutRequestId(res: Response): Promise<unknown> {
  const { request_id: requestId, ...rest } = (await res.json()) as Record<string, unknown>;
  expect(requestId).toBe(res.headers.get("request-id"));
  return rest;
}

describe("GET /v1/key/usage", () => {
  it("answers the control plane's report unchanged, for the key in x-api-key or as a Bearer token", async () => {
    const ways: Record<string, string>[] = [{ "x-api-key": GOOD_KEY }, { authorization: `Bearer ${GOOD_KEY}` }];
    for (const headers of ways) {
      const res = await usage(headers);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("request-id")).toMatch(/^req_/);
      expect(await res.text()).toBe(REPORT);
    }
    // The control plane learns the key's hash, never the key, and the address to count the attempt against.
    expect(asked.slice(-2)).toEqual([expect.objectContaining({ keyHash: sha256(GOOD_KEY), clientAddress: "127.0.0.1" }), expect.objectContaining({ keyHash: sha256(GOOD_KEY) })]);
    expect(JSON.stringify(asked)).not.toContain(GOOD_KEY);
    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/relay_requests_total\{[^}]*route="key_usage"[^}]*status="200"[^}]*\} 2/);
  });

  it("gives every wrong key the same 401 that names nothing but the error, asking the control plane every time", async () => {
    const before = asked.length;
    const unknown = await usage({ "x-api-key": "cr_never-issued" });
    const revoked = await usage({ "x-api-key": REVOKED_KEY });
    const again = await usage({ authorization: `Bearer ${REVOKED_KEY}` });
    const expected = { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } };
    for (const res of [unknown, revoked, again]) {
      expect(res.status).toBe(401);
      expect(await bodyWithoutRequestId(res)).toEqual(expected);
    }
    // No verdict is kept on the relay: each attempt reaches the control plane's limit.
    expect(asked.length - before).toBe(3);
  });

  it("answers a client over its attempts 429 with retry-after", async () => {
    const res = await usage({ "x-api-key": BUSY_KEY });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
  });

  it("answers a request without a key 401 without asking the control plane", async () => {
    const before = asked.length;
    const res = await usage({});
    expect(res.status).toBe(401);
    expect(await bodyWithoutRequestId(res)).toEqual({ type: "error", error: { type: "authentication_error", message: "x-api-key header is required" } });
    expect(asked.length).toBe(before);
  });

  it("serves only GET: another method on the path is an unknown route", async () => {
    const res = await fetch(`${url}/v1/key/usage`, { method: "POST", headers: { "x-api-key": GOOD_KEY } });
    expect(res.status).toBe(404);
  });

  it("answers 503 once the control plane cannot be reached", async () => {
    server.forceShutdown();
    const res = await usage({ "x-api-key": GOOD_KEY });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "overloaded_error" } });
  });
});

describe("clientAddress", () => {
  const req = (remoteAddress: string, forwardedFor?: string) =>
    ({ socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor } }) as unknown as Parameters<typeof clientAddress>[0];

  it("is the socket's peer unless a proxy in front is trusted, then the last X-Forwarded-For entry", () => {
    expect(clientAddress(req("10.0.0.5", "203.0.113.9"), false)).toBe("10.0.0.5");
    expect(clientAddress(req("10.0.0.5", "198.51.100.1, 203.0.113.9"), true)).toBe("203.0.113.9");
    expect(clientAddress(req("10.0.0.5"), true)).toBe("10.0.0.5");
    expect(clientAddress(req("10.0.0.5", " , "), true)).toBe("10.0.0.5");
  });
});

import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { Secret } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { AcquireRequestSchema, LeaseService, RenewRequestSchema } from "@claude-relay/proto/lease";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLeaseMetrics } from "../lease-metrics.js";
import { createLeaseServer, type LeaseServer } from "../lease-server.js";
import { DRAINING_DETAILS } from "./draining.js";

const TOKEN = "draining-test-token-0123456789";

let draining = false;
let acquires = 0;
let server: LeaseServer;
let client: grpc.Client;

beforeAll(async () => {
  server = createLeaseServer({
    acquire: async () => {
      acquires++;
      return { ok: false, reason: "NO_ACCOUNT", message: "all full", retryAfterMs: 0 };
    },
    renew: async () => ({ ok: true, ttlMs: 3_000 }),
    release: async () => ({ held: true }),
    internalToken: new Secret(TOKEN),
    metrics: createLeaseMetrics(createMetricsRegistry("draining-test")),
    log: createLogger({ service: "control-plane", level: "silent" }),
    isDraining: () => draining,
  });
  const port = await server.listen("127.0.0.1", 0);
  const Client = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");
  client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await server?.close(1_000);
});

function call(method: "acquire" | "renew", request: unknown, token = TOKEN): Promise<{ error: grpc.ServiceError | null; response: unknown }> {
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", token);
  return new Promise((resolve) => {
    const fn = (client as unknown as Record<string, Function>)[method] as Function;
    fn.call(client, request, metadata, { deadline: Date.now() + 5_000 }, (error: grpc.ServiceError | null, response: unknown) => resolve({ error, response }));
  });
}

describe("createDrainingInterceptor", () => {
  it("lets Acquire through while the server is not draining", async () => {
    const before = acquires;
    const { error } = await call("acquire", create(AcquireRequestSchema, { keyHash: "a".repeat(64), model: "m" }));
    expect(error).toBeNull();
    expect(acquires).toBe(before + 1);
  });

  it("ends Acquire with UNAVAILABLE once draining began, before the handler runs", async () => {
    draining = true;
    try {
      const before = acquires;
      const { error } = await call("acquire", create(AcquireRequestSchema, { keyHash: "a".repeat(64), model: "m" }));
      expect(error?.code).toBe(grpc.status.UNAVAILABLE);
      expect(error?.details).toBe(DRAINING_DETAILS);
      expect(acquires).toBe(before);
    } finally {
      draining = false;
    }
  });

  it("keeps serving Renew while draining, so streams already running keep their slots", async () => {
    draining = true;
    try {
      const { error, response } = await call("renew", create(RenewRequestSchema, { leaseId: "any" }));
      expect(error).toBeNull();
      expect(response).toMatchObject({ ttlMs: 3_000 });
    } finally {
      draining = false;
    }
  });

  it("still checks the internal token first while draining", async () => {
    draining = true;
    try {
      const { error } = await call("acquire", create(AcquireRequestSchema, { keyHash: "a".repeat(64) }), "wrong-token-0123456789");
      expect(error?.code).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      draining = false;
    }
  });
});

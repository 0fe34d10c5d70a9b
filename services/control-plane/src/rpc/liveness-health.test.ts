import type { ServerUnaryCall } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { createHealthService, ServingStatus, type HealthCheckRequest, type HealthCheckResponse } from "./health-service.js";
import { LIVENESS_SERVICE, withLivenessService } from "./liveness-health.js";

/** Calls Check on an implementation and resolves with its answer or its error status. */
function check(impl: ReturnType<typeof withLivenessService>, service: string): Promise<{ status?: ServingStatus; code?: number }> {
  const call = { request: { service } } as ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>;
  return new Promise((resolve) => {
    (impl.check as Function)(call, (err: { code: number } | null, res?: HealthCheckResponse) => resolve(err ? { code: err.code } : { status: res?.status }));
  });
}

describe("withLivenessService", () => {
  it("answers liveness SERVING while the server as a whole is NOT_SERVING", async () => {
    const health = withLivenessService(createHealthService({ isServing: async () => false, services: ["claude_relay.lease.v1.LeaseService"] }));
    expect(await check(health, LIVENESS_SERVICE)).toEqual({ status: ServingStatus.SERVING });
    expect(await check(health, "")).toEqual({ status: ServingStatus.NOT_SERVING });
  });

  it("leaves every other name to the wrapped service, unknown ones included", async () => {
    const health = withLivenessService(createHealthService({ isServing: async () => true, services: ["claude_relay.lease.v1.LeaseService"] }));
    expect(await check(health, "claude_relay.lease.v1.LeaseService")).toEqual({ status: ServingStatus.SERVING });
    expect(await check(health, "no.such.Service")).toEqual({ code: 5 });
  });
});

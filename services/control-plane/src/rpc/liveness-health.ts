/**
 * A `liveness` service name on grpc.health.v1, answered SERVING for as long as
 * the process answers at all. The server as a whole ("") reports readiness:
 * NOT_SERVING while Redis is away or the process drains. A liveness probe must
 * not follow Redis: restarting every control plane during a Redis outage would
 * only add crash-loop back-off to the outage (the fault suite restarts Redis
 * under load and expects no restart of ours).
 */
import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from "@grpc/grpc-js";
import { ServingStatus, type HealthCheckRequest, type HealthCheckResponse } from "./health-service.js";

/** The service name Kubernetes' gRPC liveness probe asks for. */
export const LIVENESS_SERVICE = "liveness";

type Check = (call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, callback: sendUnaryData<HealthCheckResponse>) => void;

/** Wraps a Health implementation so that `liveness` is always SERVING; other names go to `health`. */
export function withLivenessService(health: UntypedServiceImplementation): UntypedServiceImplementation {
  const check = health.check as Check;
  return {
    ...health,
    check(call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, callback: sendUnaryData<HealthCheckResponse>) {
      if (call.request.service === LIVENESS_SERVICE) callback(null, { status: ServingStatus.SERVING });
      else check(call, callback);
    },
  };
}

/**
 * `grpc.health.v1.Health/Check` served by Connect, for the admin port: the
 * same answers as the lease port's (health-service.ts), from the same
 * hand-written descriptor, so gRPC tooling and probes can check either port.
 */
import { createFileRegistry, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type ServiceImpl } from "@connectrpc/connect";
import { HEALTH_SERVICE_NAME, healthFileDescriptor } from "./reflection-service.js";
import { ServingStatus } from "./health-service.js";

/** The health service's descriptor, for routing and reflection. */
export const healthServiceDesc: DescService = (() => {
  const service = createFileRegistry(healthFileDescriptor, () => undefined).getService(HEALTH_SERVICE_NAME);
  if (service === undefined) throw new Error("health descriptor has no service");
  return service;
})();

/** Options of addConnectHealth. */
export interface ConnectHealthOptions {
  /** Resolves true while the control plane can serve. */
  isServing(): Promise<boolean>;
  /** Service names answered besides "" (the whole server); any other gets NOT_FOUND. */
  services: readonly string[];
}

/** Registers grpc.health.v1.Health (Check) on `router`. */
export function addConnectHealth(router: ConnectRouter, options: ConnectHealthOptions): void {
  const known = new Set(["", ...options.services]);
  const impl = {
    async check(request: { service: string }) {
      if (!known.has(request.service)) throw new ConnectError("unknown service", Code.NotFound);
      const serving = await options.isServing().catch(() => false);
      return { status: serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING };
    },
  };
  router.service(healthServiceDesc, impl as unknown as ServiceImpl<DescService>);
}

/**
 * `grpc.health.v1.Health/Check` on the lease service's port, for Kubernetes'
 * native gRPC probe and grpc_health_probe: SERVING while Redis answers,
 * NOT_SERVING otherwise. It needs no internal token (probes carry none).
 *
 * The two messages are tiny (one string field in, one enum field out), so
 * they are encoded by hand here rather than generated: the official
 * health.proto does not pass our buf lint rules (request/response names,
 * enum value prefixes). `Watch` is not offered; clients get UNIMPLEMENTED.
 */
import { status, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";

/** The method path the internal-token check lets through. */
export const HEALTH_CHECK_PATH = "/grpc.health.v1.Health/Check";

/** grpc.health.v1.HealthCheckResponse.ServingStatus. */
export const ServingStatus = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;
/** One of the ServingStatus values. */
export type ServingStatus = (typeof ServingStatus)[keyof typeof ServingStatus];

/** grpc.health.v1.HealthCheckRequest. */
export interface HealthCheckRequest {
  service: string;
}

/** grpc.health.v1.HealthCheckResponse. */
export interface HealthCheckResponse {
  status: ServingStatus;
}

/** Thrown by decodeHealthCheckRequest on bytes that are not a valid message. */
export class HealthMessageError extends Error {
  readonly code = "ERR_HEALTH_MESSAGE";
  constructor(message: string) {
    super(message);
    this.name = "HealthMessageError";
  }
}

/** Reads a HealthCheckRequest (field 1: string service), skipping unknown fields. */
export function decodeHealthCheckRequest(bytes: Uint8Array): HealthCheckRequest {
  let service = "";
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= bytes.length) throw new HealthMessageError("truncated varint");
      const byte = bytes[pos++] as number;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    // Longer varints (64-bit values) are skipped byte by byte.
    while (pos < bytes.length && (bytes[pos++] as number) >= 0x80);
    return value;
  };
  while (pos < bytes.length) {
    const tag = varint();
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (wireType === 0) varint();
    else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else if (wireType === 2) {
      const length = varint();
      if (pos + length > bytes.length) throw new HealthMessageError("truncated field");
      if (field === 1) service = Buffer.from(bytes.subarray(pos, pos + length)).toString("utf8");
      pos += length;
    } else throw new HealthMessageError(`unsupported wire type ${wireType}`);
    if (pos > bytes.length) throw new HealthMessageError("truncated field");
  }
  return { service };
}

/** Writes a HealthCheckResponse (field 1: enum status); UNKNOWN (0) is the empty message. */
export function encodeHealthCheckResponse(response: HealthCheckResponse): Buffer {
  return response.status === ServingStatus.UNKNOWN ? Buffer.alloc(0) : Buffer.from([0x08, response.status]);
}

/** The grpc-js definition of grpc.health.v1.Health (Check only). */
export const healthServiceDefinition: ServiceDefinition = {
  check: {
    path: HEALTH_CHECK_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (request: HealthCheckRequest) => {
      const service = Buffer.from(request.service, "utf8");
      return service.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, ...varintBytes(service.length)]), service]);
    },
    requestDeserialize: decodeHealthCheckRequest,
    responseSerialize: encodeHealthCheckResponse,
    responseDeserialize: (bytes: Buffer): HealthCheckResponse => ({ status: (bytes.length >= 2 && bytes[0] === 0x08 ? bytes[1] : 0) as ServingStatus }),
    originalName: "Check",
  },
};

/** Options of createHealthService. */
export interface HealthServiceOptions {
  /** Resolves true while the control plane can serve (Redis answers). */
  isServing(): Promise<boolean>;
  /** Service names answered besides "" (the whole server); any other gets NOT_FOUND. */
  services: readonly string[];
}

/** The Health service implementation. */
export function createHealthService(options: HealthServiceOptions): UntypedServiceImplementation {
  const known = new Set(["", ...options.services]);
  return {
    check(call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, callback: sendUnaryData<HealthCheckResponse>) {
      if (!known.has(call.request.service)) {
        // grpc.health.v1: an unknown service is a NOT_FOUND status, not an answer.
        callback({ code: status.NOT_FOUND, details: "unknown service" });
        return;
      }
      options.isServing().then(
        (serving) => callback(null, { status: serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING }),
        () => callback(null, { status: ServingStatus.NOT_SERVING }),
      );
    },
  };
}

function varintBytes(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return bytes;
}

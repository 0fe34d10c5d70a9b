import { describe, expect, it } from "vitest";
import { decodeHealthCheckRequest, encodeHealthCheckResponse, HealthMessageError, healthServiceDefinition, ServingStatus } from "./health-service.js";

describe("grpc.health.v1 messages", () => {
  it("decodes the service name and skips fields it does not know", () => {
    expect(decodeHealthCheckRequest(new Uint8Array())).toEqual({ service: "" });
    const name = Buffer.from("claude_relay.lease.v1.LeaseService");
    // field 2 varint 300, field 1 the name, field 3 fixed64, field 4 fixed32
    const bytes = Buffer.concat([Buffer.from([0x10, 0xac, 0x02, 0x0a, name.length]), name, Buffer.from([0x19, 1, 2, 3, 4, 5, 6, 7, 8, 0x25, 1, 2, 3, 4])]);
    expect(decodeHealthCheckRequest(bytes)).toEqual({ service: "claude_relay.lease.v1.LeaseService" });
  });

  it("refuses truncated or malformed bytes", () => {
    expect(() => decodeHealthCheckRequest(Buffer.from([0x0a, 0x05, 0x61]))).toThrow(HealthMessageError);
    expect(() => decodeHealthCheckRequest(Buffer.from([0x0a]))).toThrow(HealthMessageError);
    expect(() => decodeHealthCheckRequest(Buffer.from([0x0b]))).toThrow(HealthMessageError);
  });

  it("encodes each status as protobuf does, UNKNOWN being the empty message", () => {
    expect([...encodeHealthCheckResponse({ status: ServingStatus.SERVING })]).toEqual([0x08, 0x01]);
    expect([...encodeHealthCheckResponse({ status: ServingStatus.NOT_SERVING })]).toEqual([0x08, 0x02]);
    expect(encodeHealthCheckResponse({ status: ServingStatus.UNKNOWN }).length).toBe(0);
  });

  it("round-trips requests and responses through the grpc-js definition", () => {
    const check = healthServiceDefinition.check!;
    const long = "x".repeat(300);
    expect(check.requestDeserialize(check.requestSerialize({ service: long }))).toEqual({ service: long });
    expect(check.requestDeserialize(check.requestSerialize({ service: "" }))).toEqual({ service: "" });
    expect(check.responseDeserialize(check.responseSerialize({ status: ServingStatus.NOT_SERVING }))).toEqual({ status: ServingStatus.NOT_SERVING });
  });
});

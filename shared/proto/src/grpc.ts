/**
 * Turns a protobuf-es service descriptor into a grpc-js service definition, so
 * both ends of the hot path use grpc-js with protobuf-es messages. The same
 * definition serves `server.addService` and `makeGenericClientConstructor`.
 *
 * Only unary methods are supported: the lease service has no streams.
 */
import { fromBinary, toBinary, type DescMessage, type DescService, type MessageShape } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/** A grpc-js method definition carrying protobuf-es messages. */
export type GrpcMethod<I extends DescMessage, O extends DescMessage> = MethodDefinition<MessageShape<I>, MessageShape<O>>;

/** Builds the grpc-js definition of a unary-only protobuf-es service. */
export function toGrpcServiceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    if (method.methodKind !== "unary") {
      throw new Error(`${service.typeName}.${method.name} is ${method.methodKind}; only unary methods are supported`);
    }
    const { input, output } = method;
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (message) => Buffer.from(toBinary(input, message as MessageShape<typeof input>)),
      requestDeserialize: (bytes) => fromBinary(input, bytes),
      responseSerialize: (message) => Buffer.from(toBinary(output, message as MessageShape<typeof output>)),
      responseDeserialize: (bytes) => fromBinary(output, bytes),
      originalName: method.name,
    };
  }
  return definition as ServiceDefinition;
}

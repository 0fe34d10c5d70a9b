/**
 * Turns a protobuf-es service descriptor into a grpc-js service definition, so
 * both ends of the hot path use grpc-js with protobuf-es messages. The same
 * definition serves `server.addService` and `makeGenericClientConstructor`.
 *
 * Unary and streaming methods alike: grpc-js takes the stream shape from the
 * definition's requestStream and responseStream flags.
 */
import { fromBinary, toBinary, type DescMessage, type DescService, type MessageShape } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/** A grpc-js method definition carrying protobuf-es messages. */
export type GrpcMethod<I extends DescMessage, O extends DescMessage> = MethodDefinition<MessageShape<I>, MessageShape<O>>;

/** Builds the grpc-js definition of a protobuf-es service. */
export function toGrpcServiceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const { input, output, methodKind } = method;
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: methodKind === "client_streaming" || methodKind === "bidi_streaming",
      responseStream: methodKind === "server_streaming" || methodKind === "bidi_streaming",
      requestSerialize: (message) => Buffer.from(toBinary(input, message as MessageShape<typeof input>)),
      requestDeserialize: (bytes) => fromBinary(input, bytes),
      responseSerialize: (message) => Buffer.from(toBinary(output, message as MessageShape<typeof output>)),
      responseDeserialize: (bytes) => fromBinary(output, bytes),
      originalName: method.name,
    };
  }
  return definition as ServiceDefinition;
}

/**
 * gRPC server reflection (`grpc.reflection.v1` and `v1alpha`) served by
 * Connect, for the admin port: `buf curl` and grpcurl list the admin services
 * and call them without the proto files. The lease port has its own, on
 * grpc-js (reflection-service.ts). This module owns the lookups (services,
 * files by name, files by symbol); extensions are not used by our protos, so
 * extension lookups answer NOT_FOUND.
 */
import { create, createFileRegistry, toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { REFLECTION_PACKAGES, reflectionServiceDesc } from "./reflection-descriptor.js";

/** grpc.reflection error_code for an unknown file or symbol (the gRPC NOT_FOUND code). */
const NOT_FOUND = 5;

type MessageRequest =
  | { case: "fileByFilename" | "fileContainingSymbol" | "allExtensionNumbersOfType" | "listServices"; value: string }
  | { case: "fileContainingExtension"; value: unknown }
  | { case: undefined; value?: undefined };

interface ReflectionRequest {
  host: string;
  messageRequest: MessageRequest;
}

/** Options of addConnectReflection. */
export interface ConnectReflectionOptions {
  /** The services listed, and with their files (and imports) described. */
  services: readonly DescService[];
}

/** The answer to one reflection request, as a plain init object of ServerReflectionResponse. */
export type ReflectionAnswer =
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/** Answers reflection requests about `services`. */
export function createReflectionLookup(services: readonly DescService[]): (request: MessageRequest) => ReflectionAnswer {
  const files = new Map<string, FileDescriptorProto>();
  for (const service of services) collectFiles(service.file, files);
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: [...files.values()] }));
  const names = services.map((service) => service.typeName);

  const withImports = (name: string): ReflectionAnswer => {
    const found = new Map<string, FileDescriptorProto>();
    const visit = (fileName: string) => {
      const file = files.get(fileName);
      if (file === undefined || found.has(fileName)) return;
      found.set(fileName, file);
      for (const dependency of file.dependency) visit(dependency);
    };
    visit(name);
    if (found.size === 0) return notFound(`file "${name}" not found`);
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto: [...found.values()].map((file) => toBinary(FileDescriptorProtoSchema, file)) } };
  };
  const fileOfSymbol = (symbol: string): string | undefined => {
    const desc = registry.get(symbol);
    if (desc !== undefined) return desc.file.proto.name;
    // A method: "<service>.<Method>".
    const dot = symbol.lastIndexOf(".");
    const service = dot > 0 ? registry.getService(symbol.slice(0, dot)) : undefined;
    return service?.methods.some((method) => method.name === symbol.slice(dot + 1)) ? service.file.proto.name : undefined;
  };

  return (request) => {
    switch (request.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: names.map((name) => ({ name })) } };
      case "fileByFilename":
        return withImports(request.value);
      case "fileContainingSymbol": {
        const file = fileOfSymbol(request.value);
        return file === undefined ? notFound(`symbol "${request.value}" not found`) : withImports(file);
      }
      case "fileContainingExtension":
      case "allExtensionNumbersOfType":
        return notFound("no extensions are declared");
      default:
        return { case: "errorResponse", value: { errorCode: 3, errorMessage: "no request given" } };
    }
  };
}

/** Registers both reflection versions on `router`. */
export function addConnectReflection(router: ConnectRouter, options: ConnectReflectionOptions): void {
  const lookup = createReflectionLookup(options.services);
  for (const pkg of REFLECTION_PACKAGES) {
    const desc = reflectionServiceDesc(pkg);
    const impl = {
      async *serverReflectionInfo(requests: AsyncIterable<ReflectionRequest>) {
        for await (const request of requests) {
          yield { validHost: request.host, originalRequest: request, messageResponse: lookup(request.messageRequest) };
        }
      },
    };
    router.service(desc, impl as unknown as ServiceImpl<DescService>);
  }
}

function notFound(errorMessage: string): ReflectionAnswer {
  return { case: "errorResponse", value: { errorCode: NOT_FOUND, errorMessage } };
}

/** Adds `file` and, first, everything it imports (well-known types included). */
function collectFiles(file: DescFile, into: Map<string, FileDescriptorProto>): void {
  if (into.has(file.proto.name)) return;
  for (const dependency of file.dependencies) collectFiles(dependency, into);
  into.set(file.proto.name, file.proto);
}

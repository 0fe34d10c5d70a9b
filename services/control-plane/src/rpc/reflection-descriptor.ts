/**
 * grpc/reflection/v1/reflection.proto (and its v1alpha twin), described by
 * hand as a FileDescriptorProto so that Connect can serve the reflection
 * stream on the admin port (connect-reflection.ts). The messages follow the
 * published proto field for field; they are not generated here because that
 * file does not pass our buf lint rules (request/response names).
 */
import { create, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FileDescriptorProtoSchema,
  type FieldDescriptorProto,
} from "@bufbuild/protobuf/wkt";

/** The reflection versions served; clients ask v1 first and fall back to v1alpha. */
export const REFLECTION_PACKAGES = ["grpc.reflection.v1", "grpc.reflection.v1alpha"] as const;

type FieldInit = Partial<Pick<FieldDescriptorProto, "typeName" | "oneofIndex">> & { label?: Label };

function field(name: string, number: number, type: Type, init: FieldInit = {}) {
  const jsonName = name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  return { name, number, type, label: init.label ?? Label.OPTIONAL, jsonName, ...init };
}

/** The ServerReflection service of one reflection package. */
export function reflectionServiceDesc(pkg: (typeof REFLECTION_PACKAGES)[number]): DescService {
  const t = (name: string) => `.${pkg}.${name}`;
  const file = create(FileDescriptorProtoSchema, {
    name: `grpc/reflection/${pkg.split(".").at(-1)}/reflection.proto`,
    package: pkg,
    syntax: "proto3",
    messageType: [
      {
        name: "ServerReflectionRequest",
        field: [
          field("host", 1, Type.STRING),
          field("file_by_filename", 3, Type.STRING, { oneofIndex: 0 }),
          field("file_containing_symbol", 4, Type.STRING, { oneofIndex: 0 }),
          field("file_containing_extension", 5, Type.MESSAGE, { typeName: t("ExtensionRequest"), oneofIndex: 0 }),
          field("all_extension_numbers_of_type", 6, Type.STRING, { oneofIndex: 0 }),
          field("list_services", 7, Type.STRING, { oneofIndex: 0 }),
        ],
        oneofDecl: [{ name: "message_request" }],
      },
      { name: "ExtensionRequest", field: [field("containing_type", 1, Type.STRING), field("extension_number", 2, Type.INT32)] },
      {
        name: "ServerReflectionResponse",
        field: [
          field("valid_host", 1, Type.STRING),
          field("original_request", 2, Type.MESSAGE, { typeName: t("ServerReflectionRequest") }),
          field("file_descriptor_response", 4, Type.MESSAGE, { typeName: t("FileDescriptorResponse"), oneofIndex: 0 }),
          field("all_extension_numbers_response", 5, Type.MESSAGE, { typeName: t("ExtensionNumberResponse"), oneofIndex: 0 }),
          field("list_services_response", 6, Type.MESSAGE, { typeName: t("ListServiceResponse"), oneofIndex: 0 }),
          field("error_response", 7, Type.MESSAGE, { typeName: t("ErrorResponse"), oneofIndex: 0 }),
        ],
        oneofDecl: [{ name: "message_response" }],
      },
      { name: "FileDescriptorResponse", field: [field("file_descriptor_proto", 1, Type.BYTES, { label: Label.REPEATED })] },
      {
        name: "ExtensionNumberResponse",
        field: [field("base_type_name", 1, Type.STRING), field("extension_number", 2, Type.INT32, { label: Label.REPEATED })],
      },
      { name: "ListServiceResponse", field: [field("service", 1, Type.MESSAGE, { typeName: t("ServiceResponse"), label: Label.REPEATED })] },
      { name: "ServiceResponse", field: [field("name", 1, Type.STRING)] },
      { name: "ErrorResponse", field: [field("error_code", 1, Type.INT32), field("error_message", 2, Type.STRING)] },
    ],
    service: [
      {
        name: "ServerReflection",
        method: [
          {
            name: "ServerReflectionInfo",
            inputType: t("ServerReflectionRequest"),
            outputType: t("ServerReflectionResponse"),
            clientStreaming: true,
            serverStreaming: true,
          },
        ],
      },
    ],
  });
  const service = createFileRegistry(file, () => undefined).getService(`${pkg}.ServerReflection`);
  if (service === undefined) throw new Error(`reflection descriptor of ${pkg} has no service`);
  return service;
}

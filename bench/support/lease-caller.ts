/**
 * A bare LeaseService client for the lease benchmark: grpc-js over one channel to
 * one control plane, the internal token on every call, and the two calls the
 * benchmark makes, as promises. Refusals come back as values; failed calls reject.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  AcquireRequestSchema,
  LeaseService,
  ReleaseRequestSchema,
  type AcquireResponse,
  type ReleaseResponse,
} from "@claude-relay/proto/lease";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";

/** Acquire and Release against one target. */
export interface LeaseCaller {
  acquire(request: MessageInitShape<typeof AcquireRequestSchema>): Promise<AcquireResponse>;
  release(request: MessageInitShape<typeof ReleaseRequestSchema>): Promise<ReleaseResponse>;
  close(): void;
}

type UnaryMethod = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;

/** Opens a channel to `target` (host:port) that sends `token` as x-internal-token. */
export function createLeaseCaller(target: string, token: string, deadlineMs = 10_000): LeaseCaller {
  const Client = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");
  const client = new Client(target, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", token);

  function call<T>(method: "acquire" | "release", request: unknown): Promise<T> {
    const unary = client[method] as UnaryMethod;
    return new Promise((resolve, reject) => {
      unary.call(client, request, metadata, { deadline: Date.now() + deadlineMs }, (err, response) => (err ? reject(err) : resolve(response as T)));
    });
  }

  return {
    acquire: (request) => call<AcquireResponse>("acquire", create(AcquireRequestSchema, request)),
    release: (request) => call<ReleaseResponse>("release", create(ReleaseRequestSchema, request)),
    close: () => client.close(),
  };
}

/**
 * A LeaseService client for the lease benchmark: the relay's own lease client
 * (Exchange streams over one grpc-js channel to one control plane, the internal
 * token), so the benchmark pays per call what the relay pays. Refusals come
 * back as values; failed calls reject.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { AcquireRequestSchema, AcquireResponseSchema, ReleaseRequestSchema, type AcquireResponse } from "@claude-relay/proto/lease";
import { createLeaseClient } from "@claude-relay/relay";

/** Acquire and Release against one target. */
export interface LeaseCaller {
  acquire(request: MessageInitShape<typeof AcquireRequestSchema>): Promise<AcquireResponse>;
  release(request: MessageInitShape<typeof ReleaseRequestSchema>): Promise<void>;
  close(): Promise<void>;
}

/** Opens a client of `target` (host:port) that sends `token` as x-internal-token; `batchMaxCalls` as in the relay's config. */
export function createLeaseCaller(target: string, token: string, deadlineMs = 10_000, batchMaxCalls = 0): LeaseCaller {
  const client = createLeaseClient({ target: `dns:///${target}`, token, deadlineMs, batchMaxCalls });
  return {
    async acquire(request) {
      const answer = await client.acquire(request);
      if (answer.kind === "error") throw answer.error;
      return create(AcquireResponseSchema, { result: answer.kind === "lease" ? { case: "lease", value: answer.lease } : { case: "refusal", value: answer.refusal } });
    },
    release: (request) => client.release(request),
    close: () => client.close(),
  };
}

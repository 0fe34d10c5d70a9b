/**
 * Every lease-service call must carry `x-internal-token: <CONTROL_PLANE_INTERNAL_TOKEN>`
 * in its metadata; anything else ends with UNAUTHENTICATED before a handler
 * runs. The comparison is constant-time over SHA-256 digests, so neither the
 * token's content nor its length leaks through timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { ResponderBuilder, ServerInterceptingCall, ServerListenerBuilder, status, type ServerInterceptor } from "@grpc/grpc-js";
import type { Secret } from "@claude-relay/config";

/** The metadata key that carries the internal token. */
export const INTERNAL_TOKEN_METADATA = "x-internal-token";

/** A grpc-js server interceptor that checks the internal token. */
export function createInternalTokenInterceptor(token: Secret): ServerInterceptor {
  const expected = digest(token.reveal());
  return (_method, call) => {
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const given = metadata.get(INTERNAL_TOKEN_METADATA)[0];
        if (typeof given === "string" && timingSafeEqual(digest(given), expected)) {
          next(metadata);
          return;
        }
        call.sendStatus({ code: status.UNAUTHENTICATED, details: "missing or wrong internal token" });
      })
      .build();
    return new ServerInterceptingCall(call, new ResponderBuilder().withStart((next) => next(listener)).build());
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

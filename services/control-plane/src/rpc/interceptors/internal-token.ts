/**
 * Every lease-service call must carry `x-internal-token: <CONTROL_PLANE_INTERNAL_TOKEN>`
 * in its metadata; anything else ends with UNAUTHENTICATED before a handler
 * runs. The comparison is constant-time over SHA-256 digests, so neither the
 * token's content nor its length leaks through timing. Public paths (the
 * health check, which probes call without a token) pass unchecked.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { ResponderBuilder, ServerInterceptingCall, ServerListenerBuilder, status, type ServerInterceptor } from "@grpc/grpc-js";
import type { Secret } from "@claude-relay/config";

/** The metadata key that carries the internal token. */
export const INTERNAL_TOKEN_METADATA = "x-internal-token";

/** Options of createInternalTokenInterceptor. */
export interface InternalTokenOptions {
  /** Method paths ("/package.Service/Method") callable without the token. */
  publicPaths?: readonly string[];
}

/** A grpc-js server interceptor that checks the internal token. */
export function createInternalTokenInterceptor(token: Secret, options: InternalTokenOptions = {}): ServerInterceptor {
  const expected = digest(token.reveal());
  const publicPaths = new Set(options.publicPaths);
  return (method, call) => {
    if (publicPaths.has(method.path)) return new ServerInterceptingCall(call);
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

/**
 * While the control plane drains, calls that would start new work (Acquire)
 * end with UNAVAILABLE before a handler runs, so the relay treats this replica
 * as gone (another replica, or a 503 to its client) instead of taking a lease
 * from a process about to exit. Calls that finish work already started
 * (Renew, Release) and the health check go on until the server closes.
 */
import { ResponderBuilder, ServerInterceptingCall, ServerListenerBuilder, status, type ServerInterceptor } from "@grpc/grpc-js";

/** Options of createDrainingInterceptor. */
export interface DrainingOptions {
  /** True once draining began; read on every call. */
  isDraining(): boolean;
  /** Method paths ("/package.Service/Method") refused while draining. */
  refusedPaths: readonly string[];
}

/** The status details a refused call carries. */
export const DRAINING_DETAILS = "control plane is draining";

/** A grpc-js server interceptor that refuses new work while draining. */
export function createDrainingInterceptor(options: DrainingOptions): ServerInterceptor {
  const refused = new Set(options.refusedPaths);
  return (method, call) => {
    if (!refused.has(method.path)) return new ServerInterceptingCall(call);
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        if (options.isDraining()) call.sendStatus({ code: status.UNAVAILABLE, details: DRAINING_DETAILS });
        else next(metadata);
      })
      .build();
    return new ServerInterceptingCall(call, new ResponderBuilder().withStart((next) => next(listener)).build());
  };
}

/**
 * The outermost admin interceptor: counts every admin RPC by method and code,
 * and maps anything thrown that is not a ConnectError through errors.ts: a
 * store's input error becomes InvalidArgument with its message; Redis away
 * becomes Unavailable and anything else Internal, both with generic text, the
 * cause going to the log only.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "@claude-relay/logging";
import { Counter, type Registry } from "@claude-relay/metrics";
import { toConnectCode } from "../../errors.js";

const RPC_TOTAL = "control_plane_admin_rpc_total";

/** Options of createAdminObserver. */
export interface AdminObserverOptions {
  log: Logger;
  registry: Registry;
}

/** An interceptor that counts, maps and logs admin RPC failures. */
export function createAdminObserver({ log, registry }: AdminObserverOptions): Interceptor {
  const total =
    (registry.getSingleMetric(RPC_TOTAL) as Counter<"method" | "code"> | undefined) ??
    new Counter({ name: RPC_TOTAL, help: "Admin API calls by method and result code.", labelNames: ["method", "code"], registers: [registry] });

  return (next) => async (req) => {
    const method = `${req.service.typeName}/${req.method.name}`;
    try {
      const res = await next(req);
      total.inc({ method, code: "ok" });
      return res;
    } catch (err) {
      const error = toConnectError(err);
      total.inc({ method, code: codeLabel(error.code) });
      if (error.code === Code.Internal || error.code === Code.Unavailable) log.error({ err, method }, "admin call failed");
      throw error;
    }
  };
}

/** The Connect wire name of a code ("invalid_argument"), as clients see it. */
function codeLabel(code: Code): string {
  return (Code[code] ?? "Unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  const code = toConnectCode(err);
  switch (code) {
    case Code.InvalidArgument:
      return new ConnectError((err as Error).message, code);
    case Code.Unavailable:
      return new ConnectError("the control plane's state store is unavailable", code, undefined, undefined, err);
    default:
      return new ConnectError("internal error", Code.Internal, undefined, undefined, err);
  }
}

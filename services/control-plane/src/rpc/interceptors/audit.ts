/**
 * Records every admin write in the audit log: after any call that is not a
 * read (audit/audit-target.ts decides), made by a known admin, whether it
 * succeeded or not. It runs outermost, so it sees the error code clients see,
 * and reads what the inner interceptors and the handler left in the context:
 * the session's admin (admin-session.ts), or `auditActorKey` where a handler
 * names the actor itself (Login, which has no session yet). Calls without an
 * actor (refused for a missing token, failed sign-ins) are not recorded: their
 * "who" is only what the caller claimed. Calls made with a service token are
 * all recorded, reads included, under `token:<name>`: a machine's every call
 * is accounted for.
 */
import { ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { Logger } from "@claude-relay/logging";
import { auditTarget, isReadMethod } from "../../audit/audit-target.js";
import type { AuditLog } from "../../audit/audit-log.js";
import { clientAddressKey } from "../admin/client-address.js";
import { adminSessionKey } from "./admin-session.js";
import { serviceTokenKey } from "./service-token.js";

/** Set by a handler to name the admin a sessionless call acted as (Login). */
export const auditActorKey = createContextKey<string>("", { description: "audit actor" });

/** Options of createAuditInterceptor. */
export interface AuditInterceptorOptions {
  audit: Pick<AuditLog, "record">;
  log: Logger;
  now?: () => number;
}

/** An interceptor that records admin writes; a failure to record is logged and never fails the call. */
export function createAuditInterceptor({ audit, log, now = Date.now }: AuditInterceptorOptions): Interceptor {
  return (next) => async (req) => {
    const isRead = isReadMethod(req.method);
    const request = req.stream ? undefined : req.message;
    const record = async (response: unknown, outcome: string): Promise<void> => {
      const token = req.contextValues.get(serviceTokenKey);
      if (isRead && token === undefined) return;
      const actor = (token && `token:${token.name}`) || req.contextValues.get(auditActorKey) || req.contextValues.get(adminSessionKey)?.username || "";
      if (actor === "") return;
      const action = `${req.service.name}/${req.method.name}`;
      try {
        await audit.record({
          timeMs: now(),
          actor,
          action,
          ...auditTarget(req.method, request, response),
          sourceAddress: req.contextValues.get(clientAddressKey),
          outcome,
        });
      } catch (err) {
        log.error({ err, action }, "audit event not recorded");
      }
    };
    try {
      const res = await next(req);
      await record(res.stream ? undefined : res.message, "ok");
      return res;
    } catch (err) {
      await record(undefined, codeToString(ConnectError.from(err).code));
      throw err;
    }
  };
}

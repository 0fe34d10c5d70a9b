/**
 * Every admin RPC except AuthService.Login needs `Authorization: Bearer <token>`
 * with a live session from Login. The session found is put in the context values
 * under `adminSessionKey` for the handlers. Calls made with a service token
 * were checked by service-token.ts, which runs first, and pass.
 */
import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import type { DescMethod } from "@bufbuild/protobuf";
import { AuthService } from "@claude-relay/proto/admin";
import type { AdminSession, AdminSessions } from "../../auth/admin-sessions.js";
import { serviceTokenKey } from "./service-token.js";

/** The calling admin's session; undefined only on methods that need none. */
export const adminSessionKey = createContextKey<AdminSession | undefined>(undefined, { description: "admin session" });

/** Options of createAdminSessionInterceptor. */
export interface AdminSessionInterceptorOptions {
  sessions: Pick<AdminSessions, "verify">;
  /** Methods callable without a session; defaults to AuthService.Login only. */
  publicMethods?: readonly DescMethod[];
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string | null): string | undefined {
  const match = /^Bearer +([^\s]+) *$/i.exec(authorization ?? "");
  return match?.[1];
}

/** Refuses admin calls without a valid session with Code.Unauthenticated. */
export function createAdminSessionInterceptor({ sessions, publicMethods = [AuthService.method.login] }: AdminSessionInterceptorOptions): Interceptor {
  const open = new Set(publicMethods.map(methodPath));
  return (next) => async (req) => {
    if (open.has(methodPath(req.method))) return next(req);
    // Already checked, scopes included, by the service token interceptor.
    if (req.contextValues.get(serviceTokenKey) !== undefined) return next(req);
    const token = bearerToken(req.header.get("authorization"));
    if (token === undefined) {
      throw new ConnectError("missing Authorization: Bearer <token> header; sign in with AuthService.Login", Code.Unauthenticated);
    }
    const session = await sessions.verify(token);
    if (session === undefined) {
      throw new ConnectError("invalid or expired session token; sign in again with AuthService.Login", Code.Unauthenticated);
    }
    req.contextValues.set(adminSessionKey, session);
    return next(req);
  };
}

function methodPath(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}

/**
 * Admin calls made with a service token (`Authorization: Bearer crst_…`):
 * an unknown, revoked or expired token is refused with UNAUTHENTICATED, a
 * method outside the token's scopes (token-scopes.ts) with PERMISSION_DENIED.
 * The token's record goes into the context under `serviceTokenKey`, where the
 * session check (admin-session.ts) lets the call through and the audit
 * interceptor finds the name to record. Failed tokens are limited per caller
 * address like failed sign-ins; a caller at the limit is refused before its
 * token is looked at. Any other bearer token is left to the session check.
 */
import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import type { ServiceTokenRecord, ServiceTokens } from "../../auth/service-tokens.js";
import { SERVICE_TOKEN_PREFIX } from "../../auth/service-tokens.js";
import type { SignInSubjects, SignInThrottle } from "../../auth/sign-in-throttle.js";
import { requiredScope } from "../../auth/token-scopes.js";
import { clientAddressKey } from "../admin/client-address.js";
import { bearerToken } from "./admin-session.js";

/** The service token a call was made with; undefined for calls made by admins. */
export const serviceTokenKey = createContextKey<ServiceTokenRecord | undefined>(undefined, { description: "service token" });

/** Options of createServiceTokenInterceptor. */
export interface ServiceTokenInterceptorOptions {
  tokens: Pick<ServiceTokens, "verify" | "touch">;
  /** Failed token limits; without it failures are not limited. */
  throttle?: Pick<SignInThrottle, "begin" | "blocked"> | undefined;
}

/** Checks service tokens and their scopes; lets calls without one through untouched. */
export function createServiceTokenInterceptor({ tokens, throttle }: ServiceTokenInterceptorOptions): Interceptor {
  return (next) => async (req) => {
    const token = bearerToken(req.header.get("authorization"));
    if (token === undefined || !token.startsWith(SERVICE_TOKEN_PREFIX)) return next(req);
    // Per address only: one caller's failures never lock out another's token.
    const subjects: SignInSubjects = { username: `service-token@${req.contextValues.get(clientAddressKey)}` };
    const [wait, record] = await Promise.all([throttle?.blocked(subjects), tokens.verify(token)]);
    if (wait !== undefined) throw throttledError(wait);
    if (record === undefined) {
      const attempt = await throttle?.begin(subjects);
      if (attempt !== undefined && !attempt.ok) throw throttledError(attempt.retryAfterMs);
      throw new ConnectError("unknown, revoked or expired service token", Code.Unauthenticated);
    }
    req.contextValues.set(serviceTokenKey, record);
    tokens.touch(record.id);
    const needed = requiredScope(req.method);
    if (needed === undefined) {
      throw new ConnectError(`${req.service.name}/${req.method.name} is for signed-in admins only, not service tokens`, Code.PermissionDenied);
    }
    if (!record.scopes.includes(needed)) {
      throw new ConnectError(`service token "${record.name}" lacks the scope ${needed} that ${req.service.name}/${req.method.name} needs`, Code.PermissionDenied);
    }
    return next(req);
  };
}

/** ResourceExhausted with the wait in the text and a Retry-After header. */
function throttledError(retryAfterMs: number): ConnectError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new ConnectError(`too many failed service token calls; try again in ${seconds} s`, Code.ResourceExhausted, { "retry-after": String(seconds) });
}

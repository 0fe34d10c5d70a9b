/**
 * AuthService: sign-in, sign-out and password change of admins. Login is the
 * one admin method callable without a session (see the admin-session
 * interceptor). Failed sign-ins are limited per source address and per
 * username; a wrong current password in ChangePassword counts as one, so a
 * stolen session cannot be used to guess the password either.
 */
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { SignInThrottledSchema, type AuthService } from "@claude-relay/proto/admin";
import type { AdminSessions } from "../../auth/admin-sessions.js";
import type { AdminUsers } from "../../auth/admin-users.js";
import { checkNewPassword } from "../../auth/password-policy.js";
import type { SignInAttempt, SignInThrottle } from "../../auth/sign-in-throttle.js";
import { adminSessionKey, bearerToken } from "../interceptors/admin-session.js";
import { auditActorKey } from "../interceptors/audit.js";
import { clientAddressKey } from "./client-address.js";

/** Dependencies of createAuthService. */
export interface AuthServiceDeps {
  users: Pick<AdminUsers, "verify" | "setPassword">;
  sessions: Pick<AdminSessions, "create" | "revoke" | "revokeOthers">;
  /** Failed sign-in limits; without it sign-ins are not limited. */
  throttle?: SignInThrottle | undefined;
}

/** The AuthService implementation. */
export function createAuthService({ users, sessions, throttle }: AuthServiceDeps): ServiceImpl<typeof AuthService> {
  /** Reserves an attempt, or throws ResourceExhausted with the wait when the caller is over the limit. */
  async function beginAttempt(username: string, ctx: HandlerContext): Promise<SignInAttempt | undefined> {
    if (throttle === undefined) return undefined;
    const attempt = await throttle.begin({ username, address: ctx.values.get(clientAddressKey) });
    if (!attempt.ok) throw throttledError(attempt.retryAfterMs);
    return attempt;
  }

  return {
    async login(req, ctx) {
      const attempt = await beginAttempt(req.username, ctx);
      // One answer for an unknown user and a wrong password, so neither reveals the other.
      if (!(await users.verify(req.username, req.password))) {
        throw new ConnectError("invalid username or password", Code.Unauthenticated);
      }
      await attempt?.succeeded();
      const { token, session } = await sessions.create(req.username);
      ctx.values.set(auditActorKey, req.username);
      return { token, expiresAt: timestampFromMs(session.expiresAtMs) };
    },

    async logout(_req, ctx) {
      // The interceptor already checked the token; here it is only ended.
      const token = bearerToken(ctx.requestHeader.get("authorization"));
      if (token !== undefined) await sessions.revoke(token);
      return {};
    },

    async changePassword(req, ctx) {
      const session = ctx.values.get(adminSessionKey);
      const token = bearerToken(ctx.requestHeader.get("authorization"));
      if (session === undefined || token === undefined) throw new ConnectError("sign in to change your password", Code.Unauthenticated);
      const problem = checkNewPassword(req.newPassword, req.currentPassword);
      if (problem !== undefined) throw new ConnectError(problem, Code.InvalidArgument);

      const attempt = await beginAttempt(session.username, ctx);
      if (!(await users.verify(session.username, req.currentPassword))) {
        throw new ConnectError("current_password: is wrong", Code.PermissionDenied);
      }
      await attempt?.succeeded();
      if (!(await users.setPassword(session.username, req.newPassword))) {
        throw new ConnectError("the signed-in admin no longer exists", Code.FailedPrecondition);
      }
      return { revokedSessions: await sessions.revokeOthers(session.username, token) };
    },
  };
}

/** ResourceExhausted with the wait in the text, a SignInThrottled detail and a Retry-After header. */
function throttledError(retryAfterMs: number): ConnectError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const [count, unit] = seconds < 60 ? [seconds, "second"] : [Math.ceil(seconds / 60), "minute"];
  const wait = `${count} ${unit}${count === 1 ? "" : "s"}`;
  return new ConnectError(`too many failed sign-ins; try again in ${wait}`, Code.ResourceExhausted, { "retry-after": String(seconds) }, [
    { desc: SignInThrottledSchema, value: { retryAfterSeconds: seconds } },
  ]);
}

/**
 * AuthService: sign-in and sign-out of admins. Login is the one admin method
 * callable without a session (see the admin-session interceptor).
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { AuthService } from "@claude-relay/proto/admin";
import type { AdminSessions } from "../../auth/admin-sessions.js";
import type { AdminUsers } from "../../auth/admin-users.js";
import { bearerToken } from "../interceptors/admin-session.js";

/** Dependencies of createAuthService. */
export interface AuthServiceDeps {
  users: Pick<AdminUsers, "verify">;
  sessions: Pick<AdminSessions, "create" | "revoke">;
}

/** The AuthService implementation. */
export function createAuthService({ users, sessions }: AuthServiceDeps): ServiceImpl<typeof AuthService> {
  return {
    async login(req) {
      // One answer for an unknown user and a wrong password, so neither reveals the other.
      if (!(await users.verify(req.username, req.password))) {
        throw new ConnectError("invalid username or password", Code.Unauthenticated);
      }
      const { token, session } = await sessions.create(req.username);
      return { token, expiresAt: timestampFromMs(session.expiresAtMs) };
    },
    async logout(_req, ctx) {
      // The interceptor already checked the token; here it is only ended.
      const token = bearerToken(ctx.requestHeader.get("authorization"));
      if (token !== undefined) await sessions.revoke(token);
      return {};
    },
  };
}

/**
 * ServiceTokenService: signed-in admins create, list and revoke the tokens
 * internal services call the admin API with. The secret is in
 * CreateServiceToken's answer only. A service token never reaches these
 * methods (token-scopes.ts gives it no scope here), so the caller is always
 * the admin of the session, recorded as the token's creator.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { ServiceTokenState, type ServiceTokenSchema, type ServiceTokenService } from "@claude-relay/proto/admin";
import type { ServiceTokens, ServiceTokenView } from "../../auth/service-tokens.js";
import { adminSessionKey } from "../interceptors/admin-session.js";
import { notFound } from "./field-checks.js";

/** Dependencies of createServiceTokenService. */
export interface ServiceTokenServiceDeps {
  tokens: Pick<ServiceTokens, "create" | "list" | "revoke">;
}

/** The ServiceTokenService implementation. */
export function createServiceTokenService({ tokens }: ServiceTokenServiceDeps): ServiceImpl<typeof ServiceTokenService> {
  return {
    async createServiceToken(req, ctx) {
      const session = ctx.values.get(adminSessionKey);
      if (session === undefined) throw new ConnectError("sign in as an admin to create service tokens", Code.PermissionDenied);
      const { token, record } = await tokens.create({
        name: req.name,
        scopes: req.scopes,
        ...(req.expiresAt && { expiresAtMs: Math.max(1, timestampMs(req.expiresAt)) }),
        createdBy: session.username,
      });
      return { serviceToken: toServiceTokenMessage(record), token };
    },

    async listServiceTokens() {
      return { serviceTokens: (await tokens.list()).map(toServiceTokenMessage) };
    },

    async revokeServiceToken(req) {
      const record = await tokens.revoke(req.id);
      if (record === undefined) throw notFound("service token", req.id);
      return { serviceToken: toServiceTokenMessage(record) };
    },
  };
}

const STATES = {
  active: ServiceTokenState.ACTIVE,
  expired: ServiceTokenState.EXPIRED,
  revoked: ServiceTokenState.REVOKED,
} as const;

/** The wire form of a stored token. */
export function toServiceTokenMessage(record: ServiceTokenView): MessageInitShape<typeof ServiceTokenSchema> {
  return {
    id: record.id,
    name: record.name,
    scopes: record.scopes,
    tokenPrefix: record.tokenPrefix,
    createdAt: timestampFromMs(record.createdAtMs),
    createdBy: record.createdBy,
    state: STATES[record.state],
    ...(record.expiresAtMs > 0 && { expiresAt: timestampFromMs(record.expiresAtMs) }),
    ...(record.lastUsedAtMs > 0 && { lastUsedAt: timestampFromMs(record.lastUsedAtMs) }),
    ...(record.revokedAtMs > 0 && { revokedAt: timestampFromMs(record.revokedAtMs) }),
  };
}

/**
 * The scopes of service tokens and which admin method each one allows. The
 * rule covers every method of a service, present and future, without a list of
 * methods to keep up to date: a read (audit/audit-target.ts decides, as for
 * the audit log) needs the service's read scope, anything else its write
 * scope. A service missing from the table (AuthService, ServiceTokenService,
 * any service added later) is for signed-in admins only: managing admins and
 * tokens never goes to a machine.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { isReadMethod } from "../audit/audit-target.js";

/** Every scope a service token may carry. */
export const TOKEN_SCOPES = ["read", "accounts:write", "keys:write", "aliases:write", "sessions:write", "notifications:write", "prices:write", "usage:read", "audit:read"] as const;

/** One scope. */
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Per admin service (by full name): the scope its reads need and the one its writes need. */
export const SERVICE_SCOPES: Readonly<Record<string, { read: TokenScope; write: TokenScope | undefined }>> = {
  "claude_relay.admin.v1.AccountService": { read: "read", write: "accounts:write" },
  "claude_relay.admin.v1.ApiKeyService": { read: "read", write: "keys:write" },
  "claude_relay.admin.v1.ModelAliasService": { read: "read", write: "aliases:write" },
  "claude_relay.admin.v1.SessionService": { read: "read", write: "sessions:write" },
  "claude_relay.admin.v1.NotificationService": { read: "read", write: "notifications:write" },
  "claude_relay.admin.v1.PriceService": { read: "read", write: "prices:write" },
  "claude_relay.admin.v1.QueueService": { read: "read", write: undefined },
  "claude_relay.admin.v1.UsageService": { read: "usage:read", write: undefined },
  "claude_relay.admin.v1.AuditService": { read: "audit:read", write: undefined },
};

/** True when `value` names a scope. */
export function isTokenScope(value: string): value is TokenScope {
  return (TOKEN_SCOPES as readonly string[]).includes(value);
}

/** The scope a call of `method` needs, or undefined when no token may call it. */
export function requiredScope(method: DescMethod): TokenScope | undefined {
  const scopes = SERVICE_SCOPES[method.parent.typeName];
  if (scopes === undefined) return undefined;
  return isReadMethod(method) ? scopes.read : scopes.write;
}

/** True when a token with `scopes` may call `method`. */
export function scopesAllow(scopes: readonly string[], method: DescMethod): boolean {
  const needed = requiredScope(method);
  return needed !== undefined && scopes.includes(needed);
}

/**
 * The create-token form of the Service tokens page: the scopes offered (the
 * control plane's set, auth/token-scopes.ts there), the expiry choices, and
 * the check before the request is sent. The server checks again.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { CreateServiceTokenRequestSchema } from "@claude-relay/proto/admin";

/** Every scope, in the order the form shows them. */
export const TOKEN_SCOPES = ["read", "keys:write", "accounts:write", "aliases:write", "sessions:write", "notifications:write", "prices:write", "usage:read", "audit:read"] as const;

/** Expiry choices in days; 0 is "never". */
export const EXPIRY_DAYS = [0, 30, 90, 365] as const;

/** What the form holds. */
export interface ServiceTokenFormValues {
  name: string;
  scopes: string[];
  expiresInDays: number;
}

/** A problem the form shows instead of calling; its i18n key under serviceTokens. */
export type ServiceTokenFormProblem = "nameRequired" | "scopesRequired";

/** An empty form: read-only, never expiring. */
export function emptyServiceTokenForm(): ServiceTokenFormValues {
  return { name: "", scopes: ["read"], expiresInDays: 0 };
}

/** The CreateServiceToken request of the form, or the problem to show. */
export function toCreateRequest(
  values: ServiceTokenFormValues,
  nowMs: number,
): { ok: true; request: MessageInitShape<typeof CreateServiceTokenRequestSchema> } | { ok: false; problem: ServiceTokenFormProblem } {
  const name = values.name.trim();
  if (name === "") return { ok: false, problem: "nameRequired" };
  const scopes = TOKEN_SCOPES.filter((scope) => values.scopes.includes(scope));
  if (scopes.length === 0) return { ok: false, problem: "scopesRequired" };
  const expiresAt = values.expiresInDays > 0 ? timestampFromMs(nowMs + values.expiresInDays * 86_400_000) : undefined;
  return { ok: true, request: { name, scopes, ...(expiresAt && { expiresAt }) } };
}

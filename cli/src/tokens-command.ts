/**
 * `claude-relay tokens create|list|revoke`: service tokens, the scoped
 * credentials internal services call the admin API with. Only signed-in
 * admins manage them, so this command uses the admin session like the others.
 */
import { parseArgs } from "node:util";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { ServiceTokenState, type ServiceToken, type ServiceTokenService } from "@claude-relay/proto/admin";
import type { Client } from "@connectrpc/connect";
import { requireId } from "./accounts-command.js";
import { formatTime, jsonText, table } from "./format.js";
import { UsageError } from "./usage-error.js";

/** The scopes a token may carry, as the control plane knows them. */
export const TOKEN_SCOPES = ["read", "accounts:write", "keys:write", "aliases:write", "sessions:write", "notifications:write", "prices:write", "usage:read", "audit:read"] as const;

export const TOKENS_HELP = `claude-relay tokens <command>
  create --name N --scopes s1,s2 [--expires-at ISO] [--json]
         scopes: ${TOKEN_SCOPES.join(", ")}
  list [--json]
  revoke ID`;

const STATES: Record<ServiceTokenState, string> = {
  [ServiceTokenState.UNSPECIFIED]: "unknown",
  [ServiceTokenState.ACTIVE]: "active",
  [ServiceTokenState.EXPIRED]: "expired",
  [ServiceTokenState.REVOKED]: "revoked",
};

/** The scopes of `--scopes a,b`, each known, once each. */
export function parseScopes(value: string | undefined): string[] {
  const scopes = [...new Set((value ?? "").split(",").map((s) => s.trim()).filter(Boolean))];
  if (scopes.length === 0) throw new UsageError(`tokens create needs --scopes, some of ${TOKEN_SCOPES.join(", ")}`);
  const unknown = scopes.filter((s) => !(TOKEN_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new UsageError(`--scopes: unknown ${unknown.join(", ")}; use ${TOKEN_SCOPES.join(", ")}`);
  return scopes;
}

export async function tokensCommand(args: string[], tokens: Client<typeof ServiceTokenService>, out: (line: string) => void): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { name: { type: "string" }, scopes: { type: "string" }, "expires-at": { type: "string" }, json: { type: "boolean" } },
    allowPositionals: true,
  });
  switch (sub) {
    case "create": {
      if (!values.name) throw new UsageError("tokens create needs --name");
      const scopes = parseScopes(values.scopes);
      const expires = values["expires-at"] ? Date.parse(values["expires-at"]) : undefined;
      if (expires !== undefined && Number.isNaN(expires)) throw new UsageError("--expires-at must be an ISO date");
      const res = await tokens.createServiceToken({ name: values.name, scopes, expiresAt: expires === undefined ? undefined : timestampFromMs(expires) });
      const created = res.serviceToken;
      if (values.json) out(JSON.stringify({ id: created?.id, name: created?.name, scopes: created?.scopes, token: res.token }));
      else out(`service token ${created?.id} created (${created?.name}: ${created?.scopes.join(", ")}). It is shown this once:\n\n  ${res.token}\n`);
      return;
    }
    case "list": {
      const { serviceTokens } = await tokens.listServiceTokens({});
      out(values.json ? jsonText(serviceTokens) : tokenTable(serviceTokens));
      return;
    }
    case "revoke": {
      const id = requireId(positionals);
      await tokens.revokeServiceToken({ id });
      out(`service token ${id} revoked`);
      return;
    }
    default:
      throw new UsageError(TOKENS_HELP);
  }
}

function tokenTable(list: ServiceToken[]): string {
  const ms = (t: ServiceToken["expiresAt"]) => (t ? timestampMs(t) : undefined);
  return table(
    ["ID", "NAME", "PREFIX", "SCOPES", "STATE", "EXPIRES", "LAST USED"],
    list.map((t) => [t.id, t.name, t.tokenPrefix, t.scopes.join(","), STATES[t.state], formatTime(ms(t.expiresAt)), formatTime(ms(t.lastUsedAt))]),
  );
}

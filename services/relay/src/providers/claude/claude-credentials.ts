/**
 * Where a Claude account's credential goes on an upstream request: a Console
 * key in `x-api-key`, a subscription's OAuth token as a Bearer token with the
 * OAuth beta the Messages API requires of it.
 */
import { CredentialKind, type UpstreamAccount } from "@claude-relay/proto/lease";

/** The beta flag the Messages API requires of OAuth (subscription) credentials. */
export const OAUTH_BETA = "oauth-2025-04-20";

/** Signs `headers` with the account's credential; returns why it cannot, or undefined. */
export function signClaudeRequest(headers: Record<string, string | string[]>, account: Pick<UpstreamAccount, "credentialKind" | "credential">): string | undefined {
  switch (account.credentialKind) {
    case CredentialKind.API_KEY:
      headers["x-api-key"] = account.credential;
      return undefined;
    case CredentialKind.OAUTH_TOKEN:
      headers.authorization = `Bearer ${account.credential}`;
      headers["anthropic-beta"] = withOauthBeta(headers["anthropic-beta"]);
      return undefined;
    case CredentialKind.UNSPECIFIED:
      return "account has no credential kind";
    default:
      return `credential kind ${String(account.credentialKind)} is not a Claude one`;
  }
}

/** The client's betas with the OAuth beta added once, the client's order kept. */
function withOauthBeta(client: string | string[] | undefined): string {
  const betas = (Array.isArray(client) ? client.join(",") : (client ?? ""))
    .split(",")
    .map((beta) => beta.trim())
    .filter((beta) => beta !== "");
  if (!betas.includes(OAUTH_BETA)) betas.push(OAUTH_BETA);
  return betas.join(",");
}

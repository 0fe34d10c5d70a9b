/**
 * AccountService's OAuth methods: GenerateOAuthUrl starts a PKCE authorization
 * and ExchangeOAuthCode finishes it, creating a subscription account or
 * replacing the tokens of an existing one (which also lifts `unauthorized`).
 * Tokens pasted directly go through CreateAccount and UpdateAccount instead.
 */
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { AccountService, ExchangeOAuthCodeRequest } from "@claude-relay/proto/admin";
import type { AccountStore } from "../../accounts/account-store.js";
import type { HealthStore } from "../../accounts/health-store.js";
import { parsePastedCode, type OAuthAuthorization } from "../../accounts/oauth-authorization.js";
import type { OAuthCredential } from "../../accounts/oauth-refresh.js";
import type { LeaseStore } from "../../leases/lease-store.js";
import { toAccountMessage } from "./account-message.js";
import { PROXY_URL_PROTOCOLS, checkGroupName, checkModelList, checkNonEmpty, checkNonNegativeInt, checkUrl, invalidArgument, notFound } from "./field-checks.js";

/** Dependencies of createAccountOAuthMethods. */
export interface AccountOAuthMethodsDeps {
  accounts: Pick<AccountStore, "create" | "get" | "update">;
  authorization: OAuthAuthorization;
  health: Pick<HealthStore, "apply" | "conditions">;
  leases: Pick<LeaseStore, "activeCount">;
  now?: () => number;
}

/** GenerateOAuthUrl and ExchangeOAuthCode. */
export function createAccountOAuthMethods(deps: AccountOAuthMethodsDeps): Pick<ServiceImpl<typeof AccountService>, "generateOAuthUrl" | "exchangeOAuthCode"> {
  const { accounts, authorization, health, leases, now = Date.now } = deps;
  return {
    async generateOAuthUrl() {
      const started = await authorization.start();
      return { authorizeUrl: started.url, state: started.state, expiresAt: timestampFromMs(started.expiresAtMs) };
    },

    async exchangeOAuthCode(req) {
      const pasted = parsePastedCode(req.code);
      if (pasted === undefined) throw invalidArgument("code", "must not be empty");
      if (pasted.state !== undefined && req.state !== "" && pasted.state !== req.state) throw invalidArgument("state", "does not match the state in the pasted code");
      const state = checkNonEmpty("state", req.state || pasted.state || "");
      const accountId = req.accountId.trim();
      const existing = accountId === "" ? undefined : await accounts.get(accountId);
      if (accountId !== "" && existing === undefined) throw notFound("account", accountId);
      if (existing !== undefined && existing.type !== "claude-oauth") throw invalidArgument("account_id", "is not a claude-oauth account");
      // Checked before the code is spent: a code works once.
      const settings = existing === undefined ? newAccountSettings(req) : undefined;

      // Through the proxy the account will use (or uses): the endpoint sees the origin its calls come from.
      const result = await authorization.exchange(pasted.code, state, settings?.proxyUrl ?? existing?.proxyUrl ?? "");
      if (!result.ok) {
        // The endpoint's verdict is about the code the admin pasted; an unknown state likewise.
        throw new ConnectError(`code exchange failed: ${result.reason}`, result.reason.startsWith("token endpoint unreachable") ? Code.Unavailable : Code.FailedPrecondition);
      }
      const credential: OAuthCredential = { kind: "oauth", ...result.tokens };
      if (settings !== undefined) {
        const record = await accounts.create({ type: "claude-oauth", credential, ...settings });
        return { account: toAccountMessage(record, 0, undefined, now()), created: true };
      }
      const record = await accounts.update(accountId, { credential });
      if (record === undefined) throw notFound("account", accountId);
      await health.apply(record.id, { kind: "reauthorized" });
      const [active, conditions] = await Promise.all([leases.activeCount(record.id), health.conditions([record.id])]);
      return { account: toAccountMessage(record, active, conditions.get(record.id), now()), created: false };
    },
  };
}

/** The new account's settings, checked before the code is spent. */
function newAccountSettings(req: ExchangeOAuthCodeRequest) {
  return {
    name: checkNonEmpty("name", req.name),
    ...(req.priority !== undefined && { priority: checkNonNegativeInt("priority", req.priority, "lower runs first") }),
    maxConcurrentTasks: checkNonNegativeInt("max_concurrent_tasks", req.maxConcurrentTasks, "0 means unlimited"),
    ...(req.proxyUrl !== "" && { proxyUrl: checkUrl("proxy_url", req.proxyUrl, PROXY_URL_PROTOCOLS) }),
    group: checkGroupName("group", req.group),
    allowedModels: checkModelList("allowed_models", req.allowedModels),
  };
}

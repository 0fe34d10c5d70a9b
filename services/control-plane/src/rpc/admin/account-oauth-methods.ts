/**
 * AccountService's OAuth methods: GenerateOAuthUrl starts a PKCE authorization
 * for an OAuth account type (a Claude subscription by default, a Google
 * sign-in for gemini-oauth, a ChatGPT sign-in for openai-oauth) and
 * ExchangeOAuthCode finishes it for the type the state was started for,
 * creating an account or replacing the tokens of an existing one of that type
 * (which also lifts `unauthorized`). The provider's setup (Gemini: the Code
 * Assist project; ChatGPT: the account id from the id_token, and the email as
 * the name of an unnamed account) runs on the new tokens before they are
 * stored. Tokens pasted directly go through CreateAccount and
 * UpdateAccount instead.
 */
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { AccountType as ProtoAccountType, type AccountService, type ExchangeOAuthCodeRequest } from "@claude-relay/proto/admin";
import type { AccountStore } from "../../accounts/account-store.js";
import type { HealthStore } from "../../accounts/health-store.js";
import { parsePastedCode, type OAuthAuthorization } from "../../accounts/oauth-authorization.js";
import { credentialFromTokens } from "../../accounts/oauth-token-client.js";
import type { LeaseStore } from "../../leases/lease-store.js";
import type { AccountProviders } from "../../providers/account-provider.js";
import { buildAccountProviders } from "../../providers/registry.js";
import { checkProjectId, mayGoUnnamed, setUpAccount, unnamedAccountName } from "./account-fields.js";
import { accountTypeFromProto, toAccountMessage } from "./account-message.js";
import { PROXY_URL_PROTOCOLS, checkGroupName, checkModelList, checkNonEmpty, checkNonNegativeInt, checkUrl, invalidArgument, notFound } from "./field-checks.js";

/** Dependencies of createAccountOAuthMethods. */
export interface AccountOAuthMethodsDeps {
  accounts: Pick<AccountStore, "create" | "get" | "update">;
  authorization: OAuthAuthorization;
  health: Pick<HealthStore, "apply" | "conditions">;
  leases: Pick<LeaseStore, "activeCount">;
  /** Each type's setup after the exchange (default: every provider on its public defaults). */
  providers?: AccountProviders;
  now?: () => number;
}

/** GenerateOAuthUrl and ExchangeOAuthCode. */
export function createAccountOAuthMethods(deps: AccountOAuthMethodsDeps): Pick<ServiceImpl<typeof AccountService>, "generateOAuthUrl" | "exchangeOAuthCode"> {
  const { accounts, authorization, health, leases, now = Date.now } = deps;
  const providers = deps.providers ?? buildAccountProviders();
  return {
    async generateOAuthUrl(req) {
      const type = req.type === ProtoAccountType.UNSPECIFIED ? "claude-oauth" : accountTypeFromProto(req.type);
      const started = type === undefined ? undefined : await authorization.start(type);
      if (started === undefined) throw invalidArgument("type", `must be an OAuth account type this control plane signs in: ${authorization.types.join(", ")}`);
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
      // The type the authorization was started for; the exchange below consumes the state for good.
      const type = await authorization.pendingType(state);
      if (type === undefined) throw new ConnectError("code exchange failed: unknown or expired state", Code.FailedPrecondition);
      if (existing !== undefined && existing.type !== type) throw invalidArgument("account_id", `is not a ${type} account`);
      // Checked before the code is spent: a code works once.
      const settings = existing === undefined ? newAccountSettings(req, mayGoUnnamed(type, providers.forType(type))) : undefined;
      const projectId = checkProjectId(type, req.projectId) || (existing?.projectId ?? "");

      // Through the proxy the account will use (or uses): the endpoint sees the origin its calls come from.
      const proxyUrl = settings?.proxyUrl ?? existing?.proxyUrl ?? "";
      const result = await authorization.exchange(pasted.code, state, proxyUrl);
      if (!result.ok) {
        // The endpoint's verdict is about the code the admin pasted; an unknown state likewise.
        throw new ConnectError(`code exchange failed: ${result.reason}`, result.reason.startsWith("token endpoint unreachable") ? Code.Unavailable : Code.FailedPrecondition);
      }
      const { suggestedName, ...settled } = await setUpAccount(providers.forType(type), {
        type,
        baseUrl: existing?.baseUrl ?? "",
        proxyUrl,
        tokenUrl: existing?.tokenUrl ?? "",
        credential: credentialFromTokens(result.tokens),
        projectId,
        chatgptAccountId: existing?.chatgptAccountId ?? "",
        ...(result.tokens.idToken && { hints: { idToken: result.tokens.idToken } }),
      });
      if (settings !== undefined) {
        const name = settings.name || unnamedAccountName(type, { ...settled, ...(suggestedName && { suggestedName }) });
        const record = await accounts.create({ type, ...settled, ...settings, name });
        return { account: toAccountMessage(record, 0, undefined, now()), created: true };
      }
      const record = await accounts.update(accountId, settled);
      if (record === undefined) throw notFound("account", accountId);
      await health.apply(record.id, { kind: "reauthorized" });
      const [active, conditions] = await Promise.all([leases.activeCount(record.id), health.conditions([record.id])]);
      return { account: toAccountMessage(record, active, conditions.get(record.id), now()), created: false };
    },
  };
}

/** The new account's settings, checked before the code is spent; the name may be left out when setup names the account. */
function newAccountSettings(req: ExchangeOAuthCodeRequest, mayGoUnnamed: boolean) {
  return {
    name: mayGoUnnamed && req.name.trim() === "" ? "" : checkNonEmpty("name", req.name),
    ...(req.priority !== undefined && { priority: checkNonNegativeInt("priority", req.priority, "lower runs first") }),
    maxConcurrentTasks: checkNonNegativeInt("max_concurrent_tasks", req.maxConcurrentTasks, "0 means unlimited"),
    ...(req.proxyUrl !== "" && { proxyUrl: checkUrl("proxy_url", req.proxyUrl, PROXY_URL_PROTOCOLS) }),
    group: checkGroupName("group", req.group),
    allowedModels: checkModelList("allowed_models", req.allowedModels),
  };
}

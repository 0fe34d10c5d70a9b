/**
 * AccountService: the pool's upstream accounts. Credentials go in through
 * Create and Update and never come out: answers carry the record (with the
 * proxy password masked), the number of leases held right now, and the
 * account's health and subscription windows, and its usage today (one read
 * of the day's per-account counters for the whole list). TestAccount tries
 * an account upstream without a lease (accounts/account-test.ts).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { AccountSchema, AccountService, OAuthTokens } from "@claude-relay/proto/admin";
import type { AccountCredential, AccountPatch, AccountRecord, AccountStore, AccountType } from "../../accounts/account-store.js";
import type { HealthStore } from "../../accounts/health-store.js";
import type { LeaseStore } from "../../leases/lease-store.js";
import { createAccountTester, pickTestModel, type AccountTester } from "../../accounts/account-test.js";
import { dayOf } from "../../usage/usage-periods.js";
import { emptyTotals, type UsageReader, type UsageTotals } from "../../usage/usage-reader.js";
import { accountTypeFromProto, maskProxyUrl, toAccountMessage } from "./account-message.js";
import {
  BASE_URL_PROTOCOLS,
  PROXY_URL_PROTOCOLS,
  checkGroupName,
  checkModelList,
  checkNonEmpty,
  checkNonNegativeInt,
  checkUrl,
  invalidArgument,
  notFound,
} from "./field-checks.js";

/** Dependencies of createAccountService. */
export interface AccountServiceDeps {
  accounts: AccountStore;
  leases: Pick<LeaseStore, "activeCount">;
  /** Health per account; without it every account reads healthy. */
  health?: Pick<HealthStore, "conditions" | "apply">;
  /** Usage counters; without them accounts carry no usage today. */
  usage?: Pick<UsageReader, "breakdown" | "daily">;
  /** Tries an account upstream; a fetch-based tester by default. */
  tester?: AccountTester;
  now?: () => number;
}

/** AccountService's record and health methods; the OAuth methods live in account-oauth-methods.ts. */
export type AccountRecordMethods = Omit<ServiceImpl<typeof AccountService>, "generateOAuthUrl" | "exchangeOAuthCode">;

/** The record and health methods of AccountService. */
export function createAccountService({ accounts, leases, health, usage, tester = createAccountTester(), now = Date.now }: AccountServiceDeps): AccountRecordMethods {
  const withLeases = async (record: AccountRecord, usageToday?: UsageTotals): Promise<MessageInitShape<typeof AccountSchema>> => {
    const [active, conditions, today] = await Promise.all([
      leases.activeCount(record.id),
      health?.conditions([record.id]),
      usageToday ?? usage?.daily({ kind: "account", id: record.id }, [dayOf(now())]).then(([totals]) => totals),
    ]);
    return toAccountMessage(record, active, conditions?.get(record.id), now(), today);
  };

  return {
    async createAccount(req) {
      const name = checkNonEmpty("name", req.name);
      const type = accountTypeFromProto(req.type);
      if (type === undefined) throw invalidArgument("type", "must be ACCOUNT_TYPE_CLAUDE_CONSOLE or ACCOUNT_TYPE_CLAUDE_OAUTH");
      const credential = credentialFor(type, req.apiKey === "" ? undefined : req.apiKey, req.oauth);
      if (credential === undefined) {
        throw type === "claude-console"
          ? invalidArgument("api_key", "is required for claude-console accounts")
          : invalidArgument("oauth.access_token", "is required for claude-oauth accounts");
      }
      const record = await accounts.create({
        name,
        type,
        credential,
        ...(req.baseUrl !== "" && { baseUrl: checkUrl("base_url", req.baseUrl, BASE_URL_PROTOCOLS) }),
        ...(req.proxyUrl !== "" && { proxyUrl: checkUrl("proxy_url", req.proxyUrl, PROXY_URL_PROTOCOLS) }),
        ...(req.priority !== undefined && { priority: checkNonNegativeInt("priority", req.priority, "lower runs first") }),
        maxConcurrentTasks: checkNonNegativeInt("max_concurrent_tasks", req.maxConcurrentTasks, "0 means unlimited"),
        ...(req.schedulable !== undefined && { schedulable: req.schedulable }),
        group: checkGroupName("group", req.group),
        allowedModels: checkModelList("allowed_models", req.allowedModels),
      });
      return { account: toAccountMessage(record, 0, undefined, now()) };
    },

    async listAccounts() {
      // One read of the day's per-account counters serves the whole list.
      const [records, today] = await Promise.all([accounts.list(), usage?.breakdown("account", [dayOf(now())])]);
      return { accounts: await Promise.all(records.map((r) => withLeases(r, today ? (today.get(r.id) ?? emptyTotals()) : undefined))) };
    },

    async getAccount(req) {
      const id = checkNonEmpty("id", req.id);
      const record = await accounts.get(id);
      if (record === undefined) throw notFound("account", id);
      return { account: await withLeases(record) };
    },

    async updateAccount(req) {
      const id = checkNonEmpty("id", req.id);
      const current = await accounts.get(id);
      if (current === undefined) throw notFound("account", id);
      const patch: AccountPatch = {};
      if (req.name !== undefined) patch.name = checkNonEmpty("name", req.name);
      if (req.baseUrl !== undefined) patch.baseUrl = checkUrl("base_url", req.baseUrl, BASE_URL_PROTOCOLS);
      if (req.priority !== undefined) patch.priority = checkNonNegativeInt("priority", req.priority, "lower runs first");
      if (req.maxConcurrentTasks !== undefined) {
        patch.maxConcurrentTasks = checkNonNegativeInt("max_concurrent_tasks", req.maxConcurrentTasks, "0 means unlimited");
      }
      if (req.schedulable !== undefined) patch.schedulable = req.schedulable;
      if (req.group !== undefined) patch.group = checkGroupName("group", req.group);
      if (req.allowedModels !== undefined) patch.allowedModels = checkModelList("allowed_models.models", req.allowedModels.models);
      // The UI sends back the masked URL it was shown; that means "unchanged", not a new password "***".
      if (req.proxyUrl !== undefined && req.proxyUrl !== maskProxyUrl(current.proxyUrl)) {
        patch.proxyUrl = req.proxyUrl === "" ? "" : checkUrl("proxy_url", req.proxyUrl, PROXY_URL_PROTOCOLS);
      }
      if (req.apiKey !== undefined || req.oauth !== undefined) {
        const credential = credentialFor(current.type, req.apiKey, req.oauth);
        if (credential === undefined) {
          throw current.type === "claude-console"
            ? invalidArgument("api_key", "must not be empty")
            : invalidArgument("oauth.access_token", "must not be empty");
        }
        patch.credential = credential;
      }
      const record = await accounts.update(id, patch);
      if (record === undefined) throw notFound("account", id);
      // New credentials are the admin acting on an unauthorized account.
      if (patch.credential !== undefined) await health?.apply(id, { kind: "reauthorized" });
      return { account: await withLeases(record) };
    },

    async resetAccountHealth(req) {
      const id = checkNonEmpty("id", req.id);
      const record = await accounts.get(id);
      if (record === undefined) throw notFound("account", id);
      await health?.apply(id, { kind: "reset" });
      return { account: await withLeases(record) };
    },

    async testAccount(req) {
      const id = checkNonEmpty("id", req.id);
      const record = await accounts.get(id);
      if (record === undefined) throw notFound("account", id);
      const credential = await accounts.credential(id);
      if (credential === undefined) throw notFound("account credential", id);
      const model = req.model.trim() === "" ? pickTestModel(record.allowedModels) : req.model.trim();
      return tester.test({ baseUrl: record.baseUrl, credential, model, proxyUrl: record.proxyUrl });
    },

    async deleteAccount(req) {
      const id = checkNonEmpty("id", req.id);
      if (!(await accounts.delete(id))) throw notFound("account", id);
      return {};
    },
  };
}

/**
 * The credential the request carries for an account of `type`; undefined when
 * the one that type needs is missing or blank. The other type's credential is
 * refused outright, so a console key never lands on an OAuth account.
 */
function credentialFor(type: AccountType, apiKey: string | undefined, oauth: OAuthTokens | undefined): AccountCredential | undefined {
  if (type === "claude-console") {
    if (oauth !== undefined) throw invalidArgument("oauth", "is only for claude-oauth accounts; claude-console accounts take api_key");
    const key = apiKey?.trim() ?? "";
    return key === "" ? undefined : { kind: "api-key", apiKey: key };
  }
  if (apiKey !== undefined) throw invalidArgument("api_key", "is only for claude-console accounts; claude-oauth accounts take oauth");
  const accessToken = oauth?.accessToken.trim() ?? "";
  if (oauth === undefined || accessToken === "") return undefined;
  return {
    kind: "oauth",
    accessToken,
    refreshToken: oauth.refreshToken.trim(),
    expiresAtMs: oauth.expiresAt ? timestampMs(oauth.expiresAt) : 0,
    scopes: oauth.scopes,
  };
}

/**
 * AccountService: the pool's upstream accounts. Credentials go in through
 * Create and Update and never come out: answers carry the record (with the
 * proxy password masked), the number of leases held right now, and the
 * account's health and subscription windows, and its usage today (one read
 * of the day's per-account counters for the whole list). TestAccount tries
 * an account upstream without a lease (accounts/account-test.ts). What
 * differs per account type (its credential fields, its project, the setup its
 * provider runs before it is stored, its test request) comes from the type's
 * provider through account-fields.ts.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { AccountSchema, AccountService } from "@claude-relay/proto/admin";
import type { AccountCredential, AccountPatch, AccountRecord, AccountStore } from "../../accounts/account-store.js";
import type { HealthStore } from "../../accounts/health-store.js";
import type { OAuthRefresher } from "../../accounts/oauth-refresh.js";
import type { LeaseStore } from "../../leases/lease-store.js";
import { createAccountTester, pickTestModel, type AccountTester } from "../../accounts/account-test.js";
import { defaultTestModelOf, type AccountProviders } from "../../providers/account-provider.js";
import { buildAccountProviders } from "../../providers/registry.js";
import { dayOf } from "../../usage/usage-periods.js";
import { emptyTotals, type UsageReader, type UsageTotals } from "../../usage/usage-reader.js";
import { accountTypeNames, checkProjectId, checkTokenUrl, credentialFor, mayGoUnnamed, missingCredential, setUpAccount, unnamedAccountName } from "./account-fields.js";
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
  /** Each account type's provider (default: every provider on its public defaults). */
  providers?: AccountProviders;
  /** Refreshes a stored OAuth token that is due before it is tested or used for setup; without it, the stored token is used. */
  oauth?: Pick<OAuthRefresher, "isDue" | "refresh">;
  /** Tries an account upstream; a fetch-based tester over the providers by default. */
  tester?: AccountTester;
  now?: () => number;
}

/** AccountService's record and health methods; the OAuth methods live in account-oauth-methods.ts. */
export type AccountRecordMethods = Omit<ServiceImpl<typeof AccountService>, "generateOAuthUrl" | "exchangeOAuthCode">;

/** The record and health methods of AccountService. */
export function createAccountService(deps: AccountServiceDeps): AccountRecordMethods {
  const { accounts, leases, health, usage, oauth, now = Date.now } = deps;
  const providers = deps.providers ?? buildAccountProviders();
  const tester = deps.tester ?? createAccountTester({ providers });
  /** The stored credential, refreshed first when it is due (single-flight with every replica). */
  const storedCredential = async (id: string): Promise<AccountCredential> => {
    const credential = await accounts.credential(id);
    if (credential === undefined) throw notFound("account credential", id);
    if (credential.kind !== "oauth" || !oauth?.isDue(credential.expiresAtMs)) return credential;
    const refreshed = await oauth.refresh(id);
    return refreshed.ok ? refreshed.credential : credential;
  };

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
      const type = accountTypeFromProto(req.type);
      // A sign-in whose setup names the account (by its email) may come without a name.
      const name = req.name.trim() === "" && mayGoUnnamed(type, type && providers.forType(type)) ? "" : checkNonEmpty("name", req.name);
      if (type === undefined) throw invalidArgument("type", `must be ${accountTypeNames()}`);
      const provider = providers.forType(type);
      const given = credentialFor(type, provider, { apiKey: req.apiKey === "" ? undefined : req.apiKey, oauth: req.oauth, credentialsJson: req.credentialsJson });
      if (given === undefined) throw missingCredential(type, provider, "is required");
      const baseUrl = req.baseUrl === "" ? "" : checkUrl("base_url", req.baseUrl, BASE_URL_PROTOCOLS);
      const proxyUrl = req.proxyUrl === "" ? "" : checkUrl("proxy_url", req.proxyUrl, PROXY_URL_PROTOCOLS);
      const tokenUrl = checkTokenUrl(type, req.tokenUrl);
      const settings = {
        ...(req.priority !== undefined && { priority: checkNonNegativeInt("priority", req.priority, "lower runs first") }),
        maxConcurrentTasks: checkNonNegativeInt("max_concurrent_tasks", req.maxConcurrentTasks, "0 means unlimited"),
        ...(req.schedulable !== undefined && { schedulable: req.schedulable }),
        group: checkGroupName("group", req.group),
        allowedModels: checkModelList("allowed_models", req.allowedModels),
      };
      // After every field check: setup may call upstream (a token refresh, the project lookup).
      const settled = await setUpAccount(provider, { type, baseUrl, proxyUrl, tokenUrl, ...given, projectId: checkProjectId(type, req.projectId) });
      const { credential, projectId, chatgptAccountId } = settled;
      const record = await accounts.create({ name: name || unnamedAccountName(type, settled), type, credential, baseUrl, proxyUrl, tokenUrl, projectId, chatgptAccountId, ...settings });
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
      if (req.tokenUrl !== undefined) patch.tokenUrl = checkTokenUrl(current.type, req.tokenUrl);
      if (req.projectId !== undefined) patch.projectId = checkProjectId(current.type, req.projectId);
      const provider = providers.forType(current.type);
      let given: ReturnType<typeof credentialFor>;
      if (req.apiKey !== undefined || req.oauth !== undefined || req.credentialsJson !== "") {
        given = credentialFor(current.type, provider, req);
        if (given === undefined) throw missingCredential(current.type, provider, "must not be empty");
        patch.credential = given.credential;
      }
      // New tokens, or a project cleared to be found again: the provider's setup runs as on create.
      if (provider.setUp && (patch.credential !== undefined || patch.projectId === "")) {
        const credential = patch.credential ?? (await storedCredential(id));
        const settled = await setUpAccount(provider, {
          type: current.type,
          baseUrl: patch.baseUrl ?? current.baseUrl,
          proxyUrl: patch.proxyUrl ?? current.proxyUrl,
          tokenUrl: patch.tokenUrl ?? current.tokenUrl,
          credential,
          projectId: patch.projectId ?? current.projectId,
          chatgptAccountId: current.chatgptAccountId,
          ...(given?.hints && { hints: given.hints }),
        });
        if (settled.credential !== credential || patch.credential !== undefined) patch.credential = settled.credential;
        patch.projectId = settled.projectId;
        if (settled.chatgptAccountId !== current.chatgptAccountId) patch.chatgptAccountId = settled.chatgptAccountId;
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
      const credential = await storedCredential(id);
      const model = req.model.trim() === "" ? pickTestModel(record.allowedModels, defaultTestModelOf(providers.forType(record.type), record.type)) : req.model.trim();
      return tester.test({ type: record.type, baseUrl: record.baseUrl, credential, model, proxyUrl: record.proxyUrl, projectId: record.projectId, chatgptAccountId: record.chatgptAccountId });
    },

    async deleteAccount(req) {
      const id = checkNonEmpty("id", req.id);
      if (!(await accounts.delete(id))) throw notFound("account", id);
      return {};
    },
  };
}

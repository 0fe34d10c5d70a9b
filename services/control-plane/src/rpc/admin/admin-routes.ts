/**
 * The admin API's Connect routes and interceptors, ready for an adapter:
 * AuthService, AccountService and ApiKeyService behind the session check.
 */
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { AccountService, ApiKeyService, AuthService } from "@claude-relay/proto/admin";
import type { Logger } from "@claude-relay/logging";
import type { Registry } from "@claude-relay/metrics";
import type { AccountStore } from "../../accounts/account-store.js";
import type { AdminSessions } from "../../auth/admin-sessions.js";
import type { AdminUsers } from "../../auth/admin-users.js";
import type { ApiKeyStore } from "../../keys/api-key-store.js";
import { createAdminSessionInterceptor } from "../interceptors/admin-session.js";
import { createAccountService, type AccountServiceDeps } from "./account-service.js";
import { createAdminObserver } from "./admin-observer.js";
import { createApiKeyService } from "./api-key-service.js";
import { createAuthService } from "./auth-service.js";

/** What the admin services need. */
export interface AdminRoutesDeps {
  users: AdminUsers;
  sessions: AdminSessions;
  accounts: AccountStore;
  apiKeys: ApiKeyStore;
  leases: AccountServiceDeps["leases"];
  log: Logger;
  registry: Registry;
  now?: () => number;
}

/** Routes and interceptors (observer outermost, then the session check) of the admin API. */
export function createAdminRoutes(deps: AdminRoutesDeps): { routes: (router: ConnectRouter) => void; interceptors: Interceptor[] } {
  const auth = createAuthService({ users: deps.users, sessions: deps.sessions });
  const accounts = createAccountService({ accounts: deps.accounts, leases: deps.leases });
  const apiKeys = createApiKeyService({ apiKeys: deps.apiKeys, ...(deps.now && { now: deps.now }) });
  return {
    routes: (router) => {
      router.service(AuthService, auth);
      router.service(AccountService, accounts);
      router.service(ApiKeyService, apiKeys);
    },
    interceptors: [createAdminObserver({ log: deps.log, registry: deps.registry }), createAdminSessionInterceptor({ sessions: deps.sessions })],
  };
}

/**
 * The admin API's Connect routes and interceptors, ready for an adapter:
 * AuthService, AccountService, ApiKeyService, UsageService, SessionService,
 * ModelAliasService, PriceService and QueueService behind the session check, which a service token with the
 * right scope passes too; ServiceTokenService for signed-in admins.
 */
import { Code, ConnectError, type ConnectRouter, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import {
  AccountService,
  ApiKeyService,
  AuditService,
  AuthService,
  ModelAliasService,
  NotificationService,
  PriceService,
  QueueService,
  ServiceTokenService,
  SessionService,
  UsageService,
} from "@claude-relay/proto/admin";
import type { DescService } from "@bufbuild/protobuf";
import type { Logger } from "@claude-relay/logging";
import type { Registry } from "@claude-relay/metrics";
import type { AccountStore } from "../../accounts/account-store.js";
import type { HealthStore } from "../../accounts/health-store.js";
import type { OAuthAuthorization } from "../../accounts/oauth-authorization.js";
import type { AccountProviders } from "../../providers/account-provider.js";
import type { AdminSessions } from "../../auth/admin-sessions.js";
import type { AdminUsers } from "../../auth/admin-users.js";
import type { ApiKeyStore } from "../../keys/api-key-store.js";
import { createAdminSessionInterceptor } from "../interceptors/admin-session.js";
import type { ServiceTokens } from "../../auth/service-tokens.js";
import { createServiceTokenInterceptor } from "../interceptors/service-token.js";
import { createServiceTokenService } from "./service-token-service.js";
import { createAccountOAuthMethods } from "./account-oauth-methods.js";
import { createAccountService, type AccountServiceDeps } from "./account-service.js";
import { createAdminObserver } from "./admin-observer.js";
import { createApiKeyService } from "./api-key-service.js";
import { createAuthService } from "./auth-service.js";
import type { AuditLog } from "../../audit/audit-log.js";
import type { SignInThrottle } from "../../auth/sign-in-throttle.js";
import { createAuditInterceptor } from "../interceptors/audit.js";
import { createAuditService } from "./audit-service.js";
import type { KeyLimits } from "../../keys/key-limits.js";
import type { ModelAliasStore } from "../../models/model-alias-store.js";
import type { AffinityCounter } from "../../sessions/affinity-counter.js";
import type { SessionStore } from "../../sessions/session-store.js";
import type { UsageReader } from "../../usage/usage-reader.js";
import { createModelAliasService } from "./model-alias-service.js";
import { createNotificationService, type NotificationServiceDeps } from "./notification-service.js";
import type { PriceStore } from "../../usage/price-store.js";
import { createPriceService } from "./price-service.js";
import type { WaitQueue } from "../../leases/wait-queue.js";
import { createQueueService } from "./queue-service.js";
import { createSessionService } from "./session-service.js";
import { createUsageService } from "./usage-service.js";

/** What the admin services need. */
export interface AdminRoutesDeps {
  users: AdminUsers;
  sessions: AdminSessions;
  accounts: AccountStore;
  apiKeys: ApiKeyStore;
  leases: AccountServiceDeps["leases"];
  /** Account health; without it accounts read healthy and ResetAccountHealth does nothing. */
  health?: Pick<HealthStore, "conditions" | "apply">;
  /** The PKCE steps; without them the OAuth methods answer FailedPrecondition. */
  oauthAuthorization?: OAuthAuthorization;
  /** Each account type's provider; without them every provider runs on its public defaults. */
  providers?: AccountProviders;
  /** Refreshes a due OAuth token before TestAccount or an account setup uses it. */
  oauth?: AccountServiceDeps["oauth"];
  /** Failed sign-in limits; without it sign-ins are not limited. */
  signInThrottle?: SignInThrottle;
  /** The audit log; without it writes are not recorded and AuditService answers FailedPrecondition. */
  audit?: AuditLog;
  /** Key spend against limits, shown with each key; without it keys show none. */
  keyLimits?: Pick<KeyLimits, "spend">;
  /** Usage counters; without them UsageService is not served. */
  usage?: UsageReader;
  /** Session records and affinity counts; without them SessionService is not served. */
  sessionRecords?: Pick<SessionStore, "get" | "list" | "unbind">;
  affinity?: Pick<AffinityCounter, "totals">;
  /** The model alias table; without it ModelAliasService is not served. */
  modelAliases?: ModelAliasStore;
  /** The price table; without it PriceService is not served. */
  prices?: PriceStore;
  /** Service tokens; without them ServiceTokenService is not served and only admin sessions are accepted. */
  serviceTokens?: ServiceTokens;
  /** Webhook targets, their logs and test sends; without them NotificationService is not served. */
  notifications?: NotificationServiceDeps;
  /** The wait-for-a-slot queue; without it QueueService is not served. */
  waitQueue?: Pick<WaitQueue, "groups" | "renew" | "waitTimes">;
  log: Logger;
  registry: Registry;
  now?: () => number;
}

/** Routes and interceptors (audit outermost, then the observer, the service token check, the session check) of the admin API. */
export function createAdminRoutes(deps: AdminRoutesDeps): {
  routes: (router: ConnectRouter) => void;
  interceptors: Interceptor[];
  /** The services `routes` registers, for reflection. */
  services: DescService[];
} {
  const auth = createAuthService({ users: deps.users, sessions: deps.sessions, throttle: deps.signInThrottle });
  const { health, oauthAuthorization, providers } = deps;
  const accounts: ServiceImpl<typeof AccountService> = {
    ...createAccountService({
      accounts: deps.accounts,
      leases: deps.leases,
      ...(health && { health }),
      ...(deps.usage && { usage: deps.usage }),
      ...(providers && { providers }),
      ...(deps.oauth && { oauth: deps.oauth }),
      ...(deps.now && { now: deps.now }),
    }),
    ...(oauthAuthorization && health
      ? createAccountOAuthMethods({
          accounts: deps.accounts,
          authorization: oauthAuthorization,
          health,
          leases: deps.leases,
          ...(providers && { providers }),
          ...(deps.now && { now: deps.now }),
        })
      : {
          generateOAuthUrl: () => Promise.reject(new ConnectError("OAuth is not configured on this control plane", Code.FailedPrecondition)),
          exchangeOAuthCode: () => Promise.reject(new ConnectError("OAuth is not configured on this control plane", Code.FailedPrecondition)),
        }),
  };
  const apiKeys = createApiKeyService({
    apiKeys: deps.apiKeys,
    accounts: deps.accounts,
    ...(deps.keyLimits && { keyLimits: deps.keyLimits }),
    ...(deps.now && { now: deps.now }),
  });
  const { usage, sessionRecords, affinity, modelAliases, serviceTokens, prices } = deps;
  const services: DescService[] = [
    AuthService,
    AuditService,
    AccountService,
    ApiKeyService,
    ...(usage ? [UsageService] : []),
    ...(sessionRecords && affinity ? [SessionService] : []),
    ...(modelAliases ? [ModelAliasService] : []),
    ...(prices ? [PriceService] : []),
    ...(serviceTokens ? [ServiceTokenService] : []),
    ...(deps.notifications ? [NotificationService] : []),
    ...(deps.waitQueue ? [QueueService] : []),
  ];
  return {
    services,
    routes: (router) => {
      router.service(AuthService, auth);
      router.service(AuditService, createAuditService({ audit: deps.audit }));
      router.service(AccountService, accounts);
      router.service(ApiKeyService, apiKeys);
      if (usage) router.service(UsageService, createUsageService({ usage, apiKeys: deps.apiKeys, accounts: deps.accounts, ...(deps.now && { now: deps.now }) }));
      if (sessionRecords && affinity) router.service(SessionService, createSessionService({ sessions: sessionRecords, affinity }));
      if (modelAliases) router.service(ModelAliasService, createModelAliasService({ aliases: modelAliases }));
      if (prices) router.service(PriceService, createPriceService({ prices }));
      if (serviceTokens) router.service(ServiceTokenService, createServiceTokenService({ tokens: serviceTokens }));
      if (deps.notifications) router.service(NotificationService, createNotificationService(deps.notifications));
      if (deps.waitQueue) {
        router.service(QueueService, createQueueService({ queue: deps.waitQueue, accounts: deps.accounts, apiKeys: deps.apiKeys, ...(deps.now && { now: deps.now }) }));
      }
    },
    interceptors: [
      // The audit interceptor wraps the rest, so it records the codes clients see and the admin the session check found.
      ...(deps.audit ? [createAuditInterceptor({ audit: deps.audit, log: deps.log, ...(deps.now && { now: deps.now }) })] : []),
      createAdminObserver({ log: deps.log, registry: deps.registry }),
      ...(serviceTokens ? [createServiceTokenInterceptor({ tokens: serviceTokens, throttle: deps.signInThrottle })] : []),
      createAdminSessionInterceptor({ sessions: deps.sessions }),
    ],
  };
}

import {
  AccountService,
  ApiKeyService,
  AuditService,
  AuthService,
  ModelAliasService,
  PriceService,
  QueueService,
  ServiceTokenService,
  SessionService,
  UsageService,
} from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { isTokenScope, requiredScope, scopesAllow, SERVICE_SCOPES, TOKEN_SCOPES } from "./token-scopes.js";

describe("requiredScope", () => {
  it("asks `read` for the lists and gets of accounts, keys, aliases and sessions", () => {
    expect(requiredScope(AccountService.method.listAccounts)).toBe("read");
    expect(requiredScope(AccountService.method.getAccount)).toBe("read");
    expect(requiredScope(ApiKeyService.method.listApiKeys)).toBe("read");
    expect(requiredScope(ModelAliasService.method.listModelAliases)).toBe("read");
    expect(requiredScope(SessionService.method.getAffinityStats)).toBe("read");
  });

  it("asks each service's write scope for its other methods", () => {
    expect(requiredScope(ApiKeyService.method.createApiKey)).toBe("keys:write");
    expect(requiredScope(ApiKeyService.method.revokeApiKey)).toBe("keys:write");
    expect(requiredScope(AccountService.method.testAccount)).toBe("accounts:write");
    expect(requiredScope(AccountService.method.exchangeOAuthCode)).toBe("accounts:write");
    expect(requiredScope(ModelAliasService.method.setModelAlias)).toBe("aliases:write");
    expect(requiredScope(SessionService.method.unbindSession)).toBe("sessions:write");
  });

  it("asks `read` to list prices and `prices:write` to set, delete or import them", () => {
    expect(requiredScope(PriceService.method.listPrices)).toBe("read");
    expect(requiredScope(PriceService.method.setPrice)).toBe("prices:write");
    expect(requiredScope(PriceService.method.deletePrice)).toBe("prices:write");
    expect(requiredScope(PriceService.method.importPrices)).toBe("prices:write");
  });

  it("asks `read` for the wait queue, which has nothing to write", () => {
    expect(requiredScope(QueueService.method.getQueue)).toBe("read");
  });

  it("keeps spend and the audit log behind their own scopes", () => {
    expect(requiredScope(UsageService.method.getDailyUsage)).toBe("usage:read");
    expect(requiredScope(AuditService.method.listAuditEvents)).toBe("audit:read");
  });

  it("leaves admin sign-in and token management to signed-in admins", () => {
    for (const method of [...AuthService.methods, ...ServiceTokenService.methods]) expect(requiredScope(method)).toBeUndefined();
  });

  it("names only known scopes in the table", () => {
    for (const { read, write } of Object.values(SERVICE_SCOPES)) {
      expect(isTokenScope(read)).toBe(true);
      if (write !== undefined) expect(isTokenScope(write)).toBe(true);
    }
    expect(TOKEN_SCOPES.every((scope) => Object.values(SERVICE_SCOPES).some((s) => s.read === scope || s.write === scope))).toBe(true);
  });
});

describe("scopesAllow", () => {
  it("allows a method only with the scope it needs", () => {
    expect(scopesAllow(["keys:write"], ApiKeyService.method.createApiKey)).toBe(true);
    expect(scopesAllow(["read"], ApiKeyService.method.createApiKey)).toBe(false);
    expect(scopesAllow(["keys:write"], ApiKeyService.method.listApiKeys)).toBe(false);
    expect(scopesAllow(["read", "keys:write", "usage:read", "audit:read"], ServiceTokenService.method.listServiceTokens)).toBe(false);
  });
});

describe("isTokenScope", () => {
  it("refuses a name that is not a scope", () => {
    expect(isTokenScope("keys:write")).toBe(true);
    expect(isTokenScope("admin")).toBe(false);
  });
});

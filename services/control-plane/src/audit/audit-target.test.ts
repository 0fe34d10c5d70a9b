import { create } from "@bufbuild/protobuf";
import {
  AccountSchema,
  AccountService,
  ApiKeySchema,
  ApiKeyService,
  AuditService,
  AuthService,
  CreateAccountRequestSchema,
  CreateAccountResponseSchema,
  CreateApiKeyRequestSchema,
  CreateApiKeyResponseSchema,
  DeleteModelAliasRequestSchema,
  DeletePriceRequestSchema,
  ModelAliasService,
  PriceService,
  SessionService,
  SetModelAliasRequestSchema,
  SetPriceRequestSchema,
  UnbindSessionRequestSchema,
  UpdateAccountRequestSchema,
} from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { auditTarget, isReadMethod } from "./audit-target.js";

describe("isReadMethod", () => {
  it("treats list and get methods and methods declared free of side effects as reads", () => {
    expect(isReadMethod(AccountService.method.listAccounts)).toBe(true);
    expect(isReadMethod(AccountService.method.getAccount)).toBe(true);
    expect(isReadMethod(AuditService.method.listAuditEvents)).toBe(true);
    expect(isReadMethod(SessionService.method.getAffinityStats)).toBe(true);
    expect(isReadMethod(ModelAliasService.method.listModelAliases)).toBe(true);
  });

  it("treats every other method as a write", () => {
    for (const method of [
      AccountService.method.createAccount,
      AccountService.method.updateAccount,
      AccountService.method.deleteAccount,
      AccountService.method.resetAccountHealth,
      ApiKeyService.method.revokeApiKey,
      AuthService.method.login,
      AuthService.method.changePassword,
      SessionService.method.unbindSession,
      ModelAliasService.method.setModelAlias,
      ModelAliasService.method.deleteModelAlias,
    ]) {
      expect(isReadMethod(method), method.name).toBe(false);
    }
  });
});

describe("auditTarget", () => {
  it("takes the request's id and name", () => {
    const request = create(UpdateAccountRequestSchema, { id: "acct-1", name: "primary", apiKey: "sk-ant-secret" });
    expect(auditTarget(AccountService.method.updateAccount, request, undefined)).toEqual({ targetId: "acct-1", targetName: "primary" });
  });

  it("takes the created record's id from the response and never a secret field", () => {
    const request = create(CreateApiKeyRequestSchema, { name: "ci", boundAccountId: "acct-9" });
    const response = create(CreateApiKeyResponseSchema, { apiKey: create(ApiKeySchema, { id: "key-1", name: "ci" }), plaintextKey: "cr_secret" });
    const target = auditTarget(ApiKeyService.method.createApiKey, request, response);
    expect(target).toEqual({ targetId: "key-1", targetName: "ci" });
    expect(JSON.stringify(target)).not.toContain("secret");
  });

  it("falls back to the request's other identifiers", () => {
    const request = create(UnbindSessionRequestSchema, { sessionHash: "abc123" });
    expect(auditTarget(SessionService.method.unbindSession, request, undefined)).toEqual({ targetId: "abc123", targetName: "" });
  });

  it("takes a model alias's name as the target of its writes", () => {
    const set = create(SetModelAliasRequestSchema, { alias: "gpt-4o", targetModel: "claude-sonnet-4-5" });
    expect(auditTarget(ModelAliasService.method.setModelAlias, set, {})).toEqual({ targetId: "gpt-4o", targetName: "" });
    const del = create(DeleteModelAliasRequestSchema, { alias: "gpt-4o" });
    expect(auditTarget(ModelAliasService.method.deleteModelAlias, del, {})).toEqual({ targetId: "gpt-4o", targetName: "" });
  });

  it("takes the model as the target of a price's writes", () => {
    const set = create(SetPriceRequestSchema, { model: "claude-sonnet-9", rates: { input: 3, output: 15 } });
    expect(auditTarget(PriceService.method.setPrice, set, {})).toEqual({ targetId: "claude-sonnet-9", targetName: "" });
    const del = create(DeletePriceRequestSchema, { model: "claude-sonnet-9" });
    expect(auditTarget(PriceService.method.deletePrice, del, {})).toEqual({ targetId: "claude-sonnet-9", targetName: "" });
  });

  it("finds nothing in a request without identifiers or names", () => {
    expect(auditTarget(AuthService.method.changePassword, { currentPassword: "old-secret", newPassword: "new-secret" }, {})).toEqual({
      targetId: "",
      targetName: "",
    });
  });

  it("cuts long values", () => {
    const request = create(CreateAccountRequestSchema, { name: "n".repeat(1_000), apiKey: "sk" });
    const response = create(CreateAccountResponseSchema, { account: create(AccountSchema, { id: "acct-2" }) });
    const target = auditTarget(AccountService.method.createAccount, request, response);
    expect(target.targetId).toBe("acct-2");
    expect(target.targetName).toHaveLength(200);
  });
});

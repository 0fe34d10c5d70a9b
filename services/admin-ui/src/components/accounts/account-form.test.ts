import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AccountSchema, AccountType } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import {
  changesAnything,
  emptyAccountForm,
  formFromAccount,
  isAuthorizing,
  toCreateRequest,
  toExchangeRequest,
  toUpdateRequest,
  type AccountFormState,
} from "./account-form.js";

const consoleAccount = create(AccountSchema, {
  id: "acc-1",
  name: "team console",
  type: AccountType.CLAUDE_CONSOLE,
  baseUrl: "https://api.anthropic.com",
  priority: 10,
  maxConcurrentTasks: 2,
  schedulable: true,
  proxyUrl: "socks5://user:***@proxy:1080",
  group: "team-a",
  allowedModels: ["claude-sonnet-4-5"],
});

describe("toCreateRequest", () => {
  it("sends a console account's base URL and API key, and no OAuth tokens", () => {
    const req = toCreateRequest({ ...emptyAccountForm(), name: " c1 ", baseUrl: "https://x.example ", apiKey: " sk-ant-1 ", maxConcurrentTasks: 3 });
    expect(req).toEqual({
      name: "c1",
      type: AccountType.CLAUDE_CONSOLE,
      baseUrl: "https://x.example",
      apiKey: "sk-ant-1",
      priority: 50,
      maxConcurrentTasks: 3,
      schedulable: true,
      proxyUrl: "",
      group: "",
      allowedModels: [],
    });
  });

  it("sends the group and the allowed models, trimmed and without blanks", () => {
    const req = toCreateRequest({ ...emptyAccountForm(), name: "g", group: " team-a ", allowedModels: [" claude-opus-* ", "", "claude-sonnet-4-5"] });
    expect(req.group).toBe("team-a");
    expect(req.allowedModels).toEqual(["claude-opus-*", "claude-sonnet-4-5"]);
  });

  it("sends an OAuth account's tokens and expiry, and no API key", () => {
    const req = toCreateRequest({
      ...emptyAccountForm(),
      name: "o1",
      type: AccountType.CLAUDE_OAUTH,
      apiKey: "typed before switching type",
      accessToken: "at",
      refreshToken: "rt",
      tokenExpiresAtMs: 1_700_000_000_000,
    });
    expect(req.apiKey).toBeUndefined();
    expect(req.baseUrl).toBeUndefined();
    expect(req.oauth).toEqual({ accessToken: "at", refreshToken: "rt", expiresAt: timestampFromMs(1_700_000_000_000) });
  });

  it("sends 0 for a cleared number input", () => {
    const req = toCreateRequest({ ...emptyAccountForm(), priority: null, maxConcurrentTasks: null });
    expect(req.priority).toBe(0);
    expect(req.maxConcurrentTasks).toBe(0);
  });
});

describe("toUpdateRequest", () => {
  it("sends nothing but the id when nothing changed, even the masked proxy URL", () => {
    expect(toUpdateRequest(formFromAccount(consoleAccount), consoleAccount)).toEqual({ id: "acc-1" });
  });

  it("sends a limit lowered to 0 (unlimited) explicitly", () => {
    const form = { ...formFromAccount(consoleAccount), maxConcurrentTasks: 0 };
    expect(toUpdateRequest(form, consoleAccount)).toEqual({ id: "acc-1", maxConcurrentTasks: 0 });
  });

  it("sends changed fields and a credential only when one was typed", () => {
    const form = { ...formFromAccount(consoleAccount), name: "renamed", schedulable: false, apiKey: "sk-new", proxyUrl: "" };
    expect(toUpdateRequest(form, consoleAccount)).toEqual({ id: "acc-1", name: "renamed", schedulable: false, apiKey: "sk-new", proxyUrl: "" });
  });

  it("keeps an OAuth account's tokens unless a new access token was typed", () => {
    const oauth = create(AccountSchema, { ...consoleAccount, type: AccountType.CLAUDE_OAUTH, baseUrl: "", tokenExpiresAt: timestampFromMs(5_000) });
    const form = formFromAccount(oauth);
    expect(form.tokenExpiresAtMs).toBe(5_000);
    expect(toUpdateRequest({ ...form, refreshToken: "rt-only" }, oauth)).toEqual({ id: "acc-1" });
    expect(toUpdateRequest({ ...form, accessToken: "at2" }, oauth).oauth).toEqual({ accessToken: "at2", refreshToken: "", expiresAt: timestampFromMs(5_000) });
  });
});

describe("group and allowed models on update", () => {
  it("moves the account to another group, or to none with an empty string", () => {
    expect(toUpdateRequest({ ...formFromAccount(consoleAccount), group: "team-b" }, consoleAccount)).toEqual({ id: "acc-1", group: "team-b" });
    expect(toUpdateRequest({ ...formFromAccount(consoleAccount), group: "" }, consoleAccount)).toEqual({ id: "acc-1", group: "" });
  });

  it("replaces the model list only when it changed, and sends an emptied list to allow every model", () => {
    const same = { ...formFromAccount(consoleAccount), allowedModels: [" claude-sonnet-4-5 "] };
    expect(toUpdateRequest(same, consoleAccount)).toEqual({ id: "acc-1" });
    expect(toUpdateRequest({ ...same, allowedModels: [] }, consoleAccount)).toEqual({ id: "acc-1", allowedModels: { models: [] } });
  });
});

describe("authorizing an OAuth account in the browser", () => {
  const started = { authorizeUrl: "https://claude.ai/oauth/authorize?x=1", state: "st-1", expiresAtMs: 1_700_000_600_000 };

  it("is the default for a new OAuth account, while an existing one keeps its tokens", () => {
    expect(isAuthorizing({ ...emptyAccountForm(), type: AccountType.CLAUDE_OAUTH })).toBe(true);
    expect(isAuthorizing(emptyAccountForm())).toBe(false);
    const oauth = create(AccountSchema, { ...consoleAccount, type: AccountType.CLAUDE_OAUTH });
    expect(isAuthorizing(formFromAccount(oauth))).toBe(false);
  });

  it("has nothing to exchange until a link was generated and a code pasted", () => {
    const form = { ...emptyAccountForm(), type: AccountType.CLAUDE_OAUTH, name: "sub" } as const;
    expect(toExchangeRequest(form)).toBeUndefined();
    expect(toExchangeRequest({ ...form, oauthStart: started, oauthCode: "  " })).toBeUndefined();
  });

  it("creates the account with the form's settings and the pasted code", () => {
    const form: AccountFormState = {
      ...emptyAccountForm(),
      type: AccountType.CLAUDE_OAUTH,
      name: " sub ",
      maxConcurrentTasks: 2,
      group: "team-a",
      allowedModels: ["claude-opus-*"],
      oauthStart: started,
      oauthCode: " abc#st-1 ",
    };
    expect(toExchangeRequest(form)).toEqual({
      code: "abc#st-1",
      state: "st-1",
      name: "sub",
      priority: 50,
      maxConcurrentTasks: 2,
      proxyUrl: "",
      group: "team-a",
      allowedModels: ["claude-opus-*"],
    });
  });

  it("replaces the tokens of an existing account by its id, and never sends pasted tokens with it", () => {
    const oauth = create(AccountSchema, { ...consoleAccount, type: AccountType.CLAUDE_OAUTH, baseUrl: "" });
    const form = { ...formFromAccount(oauth), oauthMethod: "authorize", oauthStart: started, oauthCode: "abc", accessToken: "typed" } as const;
    expect(toExchangeRequest(form, "acc-1")).toEqual({ code: "abc", state: "st-1", accountId: "acc-1" });
    expect(toUpdateRequest(form, oauth)).toEqual({ id: "acc-1" });
  });

  it("finds the settings the exchange does not carry, so they follow as an update", () => {
    const createdAccount = create(AccountSchema, { ...consoleAccount, type: AccountType.CLAUDE_OAUTH, baseUrl: "", schedulable: true });
    const form = { ...formFromAccount(createdAccount), oauthMethod: "authorize", schedulable: false } as const;
    const rest = toUpdateRequest(form, createdAccount);
    expect(rest).toEqual({ id: "acc-1", schedulable: false });
    expect(changesAnything(rest)).toBe(true);
    expect(changesAnything({ id: "acc-1" })).toBe(false);
  });
});

import { create } from "@bufbuild/protobuf";
import { AccountSchema, AccountType } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { changesAnything, emptyAccountForm, formFromAccount, isAuthorizing, toUpdateRequest, type AccountFormState } from "./account-form.js";
import { formProblem, settingsAfterExchange, toExchangeRequest } from "./oauth-exchange.js";

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

describe("authorizing an OAuth account in the browser", () => {
  const started = { authorizeUrl: "https://claude.ai/oauth/authorize?x=1", state: "st-1", expiresAtMs: 1_700_000_600_000, type: AccountType.CLAUDE_OAUTH };

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

describe("signing a Gemini account in with Google", () => {
  const googleStart = { authorizeUrl: "https://accounts.google.com/o/oauth2/v2/auth?x=1", state: "g-1", expiresAtMs: 0, type: AccountType.GEMINI_OAUTH };
  const form: AccountFormState = { ...emptyAccountForm(), type: AccountType.GEMINI_OAUTH, name: "g", oauthStart: googleStart, oauthCode: "4/0Ab" };

  it("creates the account with its Code Assist project, blank to let the server find it", () => {
    expect(toExchangeRequest({ ...form, projectId: " proj-1 " })).toMatchObject({ code: "4/0Ab", state: "g-1", name: "g", projectId: "proj-1" });
    expect(toExchangeRequest(form)?.projectId).toBe("");
  });

  it("never finishes with a link made for the other platform", () => {
    const claudeStart = { ...googleStart, type: AccountType.CLAUDE_OAUTH };
    expect(toExchangeRequest({ ...form, oauthStart: claudeStart })).toBeUndefined();
    expect(formProblem({ ...form, oauthStart: claudeStart }, false)).toBe("oauth.linkRequired");
  });

  it("keeps the project the server found for a new account, but applies one the admin typed", () => {
    const created = create(AccountSchema, { id: "acc-g", name: "g", type: AccountType.GEMINI_OAUTH, priority: 50, schedulable: true, projectId: "found-7" });
    expect(settingsAfterExchange(form, created, true)).toEqual({ id: "acc-g" });
    expect(settingsAfterExchange({ ...form, tokenUrl: "https://t.example" }, created, true)).toEqual({ id: "acc-g", tokenUrl: "https://t.example" });
    const reauthorized = { ...formFromAccount(created), oauthMethod: "authorize", projectId: "" } as const;
    expect(settingsAfterExchange(reauthorized, created, false)).toEqual({ id: "acc-g", projectId: "" });
  });
});

describe("formProblem", () => {
  it("asks for a link, then a code, before authorizing", () => {
    const claude = { ...emptyAccountForm(), type: AccountType.CLAUDE_OAUTH };
    expect(formProblem(claude, false)).toBe("oauth.linkRequired");
    const started = { authorizeUrl: "u", state: "s", expiresAtMs: 0, type: AccountType.CLAUDE_OAUTH };
    expect(formProblem({ ...claude, oauthStart: started }, false)).toBe("oauth.codeRequired");
    expect(formProblem({ ...claude, oauthStart: { ...started, type: AccountType.GEMINI_OAUTH }, type: AccountType.GEMINI_OAUTH }, false)).toBe(
      "oauth.googleCodeRequired",
    );
    expect(formProblem({ ...claude, oauthStart: started, oauthCode: "c" }, false)).toBeUndefined();
  });

  it("needs a credentials file for a new Gemini OAuth account, and a readable one whenever one is pasted", () => {
    const pasted = { ...emptyAccountForm(), type: AccountType.GEMINI_OAUTH, oauthMethod: "tokens" } as const;
    expect(formProblem(pasted, false)).toBe("accountForm.credentialsRequired");
    expect(formProblem(pasted, true)).toBeUndefined();
    expect(formProblem({ ...pasted, credentialsJson: "not json" }, true)).toBe("accountForm.credentialsNotJson");
    expect(formProblem({ ...pasted, credentialsJson: '{"refresh_token":"r"}' }, false)).toBeUndefined();
  });

  it("leaves API key accounts to the server", () => {
    expect(formProblem({ ...emptyAccountForm(), type: AccountType.GEMINI_API }, false)).toBeUndefined();
  });
});

describe("signing a ChatGPT account in", () => {
  const chatgptStart = { authorizeUrl: "https://auth.openai.com/oauth/authorize?x=1", state: "o-1", expiresAtMs: 0, type: AccountType.OPENAI_OAUTH };
  const form: AccountFormState = { ...emptyAccountForm(), type: AccountType.OPENAI_OAUTH, name: "o", oauthStart: chatgptStart };
  const landed = "http://localhost:1455/auth/callback?code=ac_123&scope=openid+profile&state=o-1";

  it("exchanges the code of the pasted localhost:1455 address with the link's state, and sends no project", () => {
    const req = toExchangeRequest({ ...form, oauthCode: ` ${landed} ` });
    expect(req).toMatchObject({ code: "ac_123", state: "o-1", name: "o" });
    expect(req?.projectId).toBeUndefined();
    expect(formProblem({ ...form, oauthCode: landed }, false)).toBeUndefined();
  });

  it("exchanges a bare code as pasted", () => {
    expect(toExchangeRequest({ ...form, oauthCode: "ac_456" })).toMatchObject({ code: "ac_456", state: "o-1" });
  });

  it("asks for the address, and refuses one from another link or one carrying an error", () => {
    expect(formProblem(form, false)).toBe("oauth.chatgptCodeRequired");
    expect(formProblem({ ...form, oauthCode: landed.replace("state=o-1", "state=old") }, false)).toBe("oauth.stateMismatch");
    const refused = "http://localhost:1455/auth/callback?error=access_denied&state=o-1";
    expect(formProblem({ ...form, oauthCode: refused }, false)).toBe("oauth.signInRefused");
    expect(toExchangeRequest({ ...form, oauthCode: refused })).toBeUndefined();
  });

  it("needs an auth.json for a new ChatGPT account taking pasted credentials, and a readable one whenever one is pasted", () => {
    const pasted = { ...form, oauthStart: undefined, oauthMethod: "tokens" } as const;
    expect(formProblem(pasted, false)).toBe("accountForm.authJsonRequired");
    expect(formProblem(pasted, true)).toBeUndefined();
    expect(formProblem({ ...pasted, credentialsJson: "eyJ.not-json" }, true)).toBe("accountForm.authJsonNotJson");
    expect(formProblem({ ...pasted, credentialsJson: '{"OPENAI_API_KEY":"sk-1"}' }, false)).toBe("accountForm.authJsonApiKeyOnly");
    expect(formProblem({ ...pasted, credentialsJson: '{"tokens":{"refresh_token":"rt"}}' }, false)).toBeUndefined();
  });

  it("leaves OpenAI API key accounts to the server", () => {
    expect(formProblem({ ...emptyAccountForm(), type: AccountType.OPENAI_API }, false)).toBeUndefined();
  });
});

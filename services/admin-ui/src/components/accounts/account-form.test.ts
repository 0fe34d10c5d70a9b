import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AccountSchema, AccountType } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { credentialsProblem, emptyAccountForm, formFromAccount, toCreateRequest, toUpdateRequest } from "./account-form.js";

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

const CREDS = JSON.stringify({ access_token: "ya29.a", refresh_token: "1//r", scope: "x", token_type: "Bearer", expiry_date: 1_700_000_000_000 });

const geminiOAuth = create(AccountSchema, {
  id: "acc-g",
  name: "gemini team",
  type: AccountType.GEMINI_OAUTH,
  priority: 50,
  schedulable: true,
  projectId: "proj-1",
  tokenUrl: "",
});

describe("Gemini accounts", () => {
  it("creates a Gemini API key account against the default base URL when none was typed", () => {
    const req = toCreateRequest({ ...emptyAccountForm(), name: "g", type: AccountType.GEMINI_API, apiKey: " AIza-1 " });
    expect(req).toMatchObject({ type: AccountType.GEMINI_API, baseUrl: "https://generativelanguage.googleapis.com", apiKey: "AIza-1" });
    expect(toCreateRequest({ ...emptyAccountForm(), type: AccountType.GEMINI_API, baseUrl: "https://g.example/ " }).baseUrl).toBe("https://g.example/");
  });

  it("creates a Gemini OAuth account from the pasted credentials file, with its project and token URL, and no tokens or key", () => {
    const req = toCreateRequest({
      ...emptyAccountForm(),
      name: "g",
      type: AccountType.GEMINI_OAUTH,
      oauthMethod: "tokens",
      credentialsJson: ` ${CREDS}\n`,
      projectId: " proj-1 ",
      tokenUrl: "",
      apiKey: "typed before switching type",
      accessToken: "typed before switching type",
    });
    expect(req).toMatchObject({ type: AccountType.GEMINI_OAUTH, credentialsJson: CREDS, projectId: "proj-1", tokenUrl: "" });
    expect(req.oauth).toBeUndefined();
    expect(req.apiKey).toBeUndefined();
    expect(req.baseUrl).toBeUndefined();
  });

  it("sends a Claude OAuth account's token URL, and no Gemini fields", () => {
    const req = toCreateRequest({ ...emptyAccountForm(), type: AccountType.CLAUDE_OAUTH, accessToken: "at", tokenUrl: " https://t.example/token " });
    expect(req.tokenUrl).toBe("https://t.example/token");
    expect(req.projectId).toBeUndefined();
    expect(req.credentialsJson).toBeUndefined();
  });

  it("reads the type, project and token URL back, and changes the project and token URL alone", () => {
    const form = formFromAccount(geminiOAuth);
    expect(form).toMatchObject({ type: AccountType.GEMINI_OAUTH, projectId: "proj-1", tokenUrl: "", oauthMethod: "tokens" });
    expect(toUpdateRequest(form, geminiOAuth)).toEqual({ id: "acc-g" });
    expect(toUpdateRequest({ ...form, projectId: "proj-2", tokenUrl: "https://t.example" }, geminiOAuth)).toEqual({
      id: "acc-g",
      projectId: "proj-2",
      tokenUrl: "https://t.example",
    });
  });

  it("replaces a Gemini OAuth account's tokens only with a pasted file, never with typed tokens", () => {
    const form = formFromAccount(geminiOAuth);
    expect(toUpdateRequest({ ...form, accessToken: "at" }, geminiOAuth)).toEqual({ id: "acc-g" });
    expect(toUpdateRequest({ ...form, credentialsJson: CREDS }, geminiOAuth)).toEqual({ id: "acc-g", credentialsJson: CREDS });
  });

  it("changes a Gemini API key account's base URL and key like a Console one", () => {
    const api = create(AccountSchema, { id: "acc-a", name: "a", type: AccountType.GEMINI_API, baseUrl: "https://generativelanguage.googleapis.com" });
    const form = formFromAccount(api);
    expect(form.type).toBe(AccountType.GEMINI_API);
    expect(toUpdateRequest({ ...form, apiKey: "AIza-2", projectId: "ignored" }, api)).toEqual({ id: "acc-a", apiKey: "AIza-2" });
  });

  it("edits an account of a type this UI does not know as a Console one", () => {
    const odd = create(AccountSchema, { id: "acc-x", name: "x", type: 99 as AccountType });
    expect(formFromAccount(odd).type).toBe(AccountType.CLAUDE_CONSOLE);
  });
});

describe("credentialsProblem", () => {
  it("accepts the Gemini CLI's file, or any JSON object with an access or refresh token", () => {
    expect(credentialsProblem(CREDS)).toBeUndefined();
    expect(credentialsProblem('{"refresh_token":"1//r"}')).toBeUndefined();
  });

  it("names what is wrong without repeating the text", () => {
    expect(credentialsProblem("ya29.secret-token")).toBe("accountForm.credentialsNotJson");
    expect(credentialsProblem("[1]")).toBe("accountForm.credentialsNotJson");
    expect(credentialsProblem('{"access_token":""}')).toBe("accountForm.credentialsNoToken");
  });
});

const AUTH_JSON = JSON.stringify({ OPENAI_API_KEY: null, tokens: { id_token: "eyJ.id", access_token: "eyJ.at", refresh_token: "rt_1", account_id: "acct-1" } });

const chatgpt = create(AccountSchema, {
  id: "acc-o",
  name: "chatgpt team",
  type: AccountType.OPENAI_OAUTH,
  priority: 50,
  schedulable: true,
  tokenUrl: "",
  chatgptAccountId: "acct-1",
});

describe("OpenAI accounts", () => {
  it("creates an OpenAI API key account against https://api.openai.com/v1 unless another base URL was typed", () => {
    const req = toCreateRequest({ ...emptyAccountForm(), name: "o", type: AccountType.OPENAI_API, apiKey: " sk-proj-1 " });
    expect(req).toMatchObject({ type: AccountType.OPENAI_API, baseUrl: "https://api.openai.com/v1", apiKey: "sk-proj-1" });
    const azure = "https://team.openai.azure.com/openai/v1";
    expect(toCreateRequest({ ...emptyAccountForm(), type: AccountType.OPENAI_API, baseUrl: ` ${azure} ` }).baseUrl).toBe(azure);
  });

  it("creates a ChatGPT account from a pasted auth.json and its token URL, and no tokens, key or project", () => {
    const req = toCreateRequest({
      ...emptyAccountForm(),
      name: "o",
      type: AccountType.OPENAI_OAUTH,
      oauthMethod: "tokens",
      credentialsJson: `\n${AUTH_JSON} `,
      tokenUrl: " https://auth.example/oauth/token ",
      projectId: "typed before switching type",
      apiKey: "typed before switching type",
    });
    expect(req).toMatchObject({ type: AccountType.OPENAI_OAUTH, credentialsJson: AUTH_JSON, tokenUrl: "https://auth.example/oauth/token" });
    expect(req.oauth).toBeUndefined();
    expect(req.apiKey).toBeUndefined();
    expect(req.projectId).toBeUndefined();
  });

  it("replaces a ChatGPT account's tokens only with a pasted auth.json, and never sends a project", () => {
    const form = formFromAccount(chatgpt);
    expect(form).toMatchObject({ type: AccountType.OPENAI_OAUTH, oauthMethod: "tokens" });
    expect(toUpdateRequest(form, chatgpt)).toEqual({ id: "acc-o" });
    expect(toUpdateRequest({ ...form, accessToken: "at", projectId: "p" }, chatgpt)).toEqual({ id: "acc-o" });
    expect(toUpdateRequest({ ...form, credentialsJson: AUTH_JSON, tokenUrl: "https://t.example" }, chatgpt)).toEqual({
      id: "acc-o",
      credentialsJson: AUTH_JSON,
      tokenUrl: "https://t.example",
    });
  });

  it("changes an OpenAI API key account's base URL and key like a Console one", () => {
    const api = create(AccountSchema, { id: "acc-a", name: "a", type: AccountType.OPENAI_API, baseUrl: "https://api.openai.com/v1" });
    const form = formFromAccount(api);
    expect(form.type).toBe(AccountType.OPENAI_API);
    expect(toUpdateRequest({ ...form, apiKey: "sk-2", baseUrl: "https://proxy.example/v1" }, api)).toEqual({
      id: "acc-a",
      apiKey: "sk-2",
      baseUrl: "https://proxy.example/v1",
    });
  });
});

import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AccountSchema, AccountType } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { emptyAccountForm, formFromAccount, toCreateRequest, toUpdateRequest } from "./account-form.js";

const consoleAccount = create(AccountSchema, {
  id: "acc-1",
  name: "team console",
  type: AccountType.CLAUDE_CONSOLE,
  baseUrl: "https://api.anthropic.com",
  priority: 10,
  maxConcurrentTasks: 2,
  schedulable: true,
  proxyUrl: "socks5://user:***@proxy:1080",
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
    });
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

import { create, toJsonString } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { AccountSchema, AccountType, Platform } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import type { AccountRecord } from "../../accounts/account-store.js";
import { accountTypeFromProto, maskProxyUrl, toAccountMessage } from "./account-message.js";

const record: AccountRecord = {
  id: "acc_1",
  name: "main",
  type: "claude-oauth",
  baseUrl: "https://api.anthropic.com",
  priority: 3,
  maxConcurrentTasks: 5,
  schedulable: true,
  proxyUrl: "socks5://alice:s3cret@proxy.internal:1080",
  createdAtMs: 1_700_000_000_000,
  lastUsedAtMs: 0,
  tokenExpiresAtMs: 1_700_000_360_000,
  group: "team-a",
  allowedModels: ["claude-sonnet-*"],
  projectId: "",
  tokenUrl: "",
  chatgptAccountId: "",
};

describe("maskProxyUrl", () => {
  it("replaces the password and keeps the rest", () => {
    expect(maskProxyUrl("socks5://alice:s3cret@proxy.internal:1080")).toBe("socks5://alice:***@proxy.internal:1080");
    expect(maskProxyUrl("http://bob:pa%40ss@10.0.0.1:3128")).toBe("http://bob:***@10.0.0.1:3128/");
  });

  it("leaves a URL without a password and an empty value as they are", () => {
    expect(maskProxyUrl("socks5h://proxy:1080")).toBe("socks5h://proxy:1080");
    expect(maskProxyUrl("")).toBe("");
  });

  it("masks a value that is not a URL with a host whole", () => {
    expect(maskProxyUrl("user:secret@ proxy")).toBe("***");
    expect(maskProxyUrl("://user:secret@proxy")).toBe("***");
  });
});

describe("toAccountMessage", () => {
  it("maps every field, masks the proxy password and leaves unset times unset", () => {
    const message = toAccountMessage(record, 2);
    expect(message).toMatchObject({ id: "acc_1", name: "main", type: AccountType.CLAUDE_OAUTH, priority: 3, maxConcurrentTasks: 5, activeLeases: 2 });
    expect(message.proxyUrl).toBe("socks5://alice:***@proxy.internal:1080");
    expect(timestampMs(message.createdAt as never)).toBe(1_700_000_000_000);
    expect(timestampMs(message.tokenExpiresAt as never)).toBe(1_700_000_360_000);
    expect(message.lastUsedAt).toBeUndefined();
    expect(toJsonString(AccountSchema, create(AccountSchema, message))).not.toContain("s3cret");
  });
});

describe("toAccountMessage for Gemini", () => {
  it("carries the type, the platform, the project and the token URL", () => {
    const message = toAccountMessage({ ...record, type: "gemini-oauth", projectId: "proj-1", tokenUrl: "https://t.example.test/token" }, 0);
    expect(message).toMatchObject({ type: AccountType.GEMINI_OAUTH, platform: Platform.GEMINI, projectId: "proj-1", tokenUrl: "https://t.example.test/token" });
    expect(toAccountMessage(record, 0).platform).toBe(Platform.CLAUDE);
  });
});

describe("toAccountMessage for OpenAI", () => {
  it("carries the type, the platform and the ChatGPT account id", () => {
    expect(toAccountMessage({ ...record, type: "openai-oauth", chatgptAccountId: "acct-1" }, 0)).toMatchObject({ type: AccountType.OPENAI_OAUTH, platform: Platform.OPENAI, chatgptAccountId: "acct-1" });
    expect(toAccountMessage({ ...record, type: "openai-api" }, 0)).toMatchObject({ type: AccountType.OPENAI_API, platform: Platform.OPENAI, chatgptAccountId: "" });
  });
});

describe("accountTypeFromProto", () => {
  it("maps every known type and refuses UNSPECIFIED", () => {
    expect(accountTypeFromProto(AccountType.CLAUDE_CONSOLE)).toBe("claude-console");
    expect(accountTypeFromProto(AccountType.CLAUDE_OAUTH)).toBe("claude-oauth");
    expect(accountTypeFromProto(AccountType.GEMINI_API)).toBe("gemini-api");
    expect(accountTypeFromProto(AccountType.GEMINI_OAUTH)).toBe("gemini-oauth");
    expect(accountTypeFromProto(AccountType.OPENAI_API)).toBe("openai-api");
    expect(accountTypeFromProto(AccountType.OPENAI_OAUTH)).toBe("openai-oauth");
    expect(accountTypeFromProto(AccountType.UNSPECIFIED)).toBeUndefined();
    expect(accountTypeFromProto(99 as AccountType)).toBeUndefined();
  });
});

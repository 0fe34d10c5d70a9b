import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import {
  AccountSchema,
  AccountService,
  AccountType,
  ApiKeyService,
  AuthService,
  ModelAliasService,
  Platform,
  type Account,
  type CreateAccountRequest,
  type UpdateAccountRequest,
} from "@claude-relay/proto/admin";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNTS_HELP, accountsCommand } from "./accounts-command.js";
import type { AdminClients } from "./admin-client.js";

const CREDS = JSON.stringify({ access_token: "ya29.a", refresh_token: "1//r", token_type: "Bearer", expiry_date: 1_700_000_000_000 });
const AUTH_JSON = JSON.stringify({
  OPENAI_API_KEY: null,
  tokens: { id_token: "eyJ.id", access_token: "eyJ.at", refresh_token: "rt_1", account_id: "acct-1" },
  last_refresh: "2026-01-01T00:00:00Z",
});

/** Admin clients over an in-memory AccountService that records what it was asked. */
function fakeAdmin(accounts: Account[] = []) {
  const creates: CreateAccountRequest[] = [];
  const updates: UpdateAccountRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(AccountService, {
      createAccount: async (req) => {
        creates.push(req);
        return { account: create(AccountSchema, { id: "acc-new", name: req.name, type: req.type }) };
      },
      updateAccount: async (req) => {
        updates.push(req);
        return { account: create(AccountSchema, { id: req.id }) };
      },
      listAccounts: async () => ({ accounts }),
    });
  });
  const admin: AdminClients = {
    accounts: createClient(AccountService, transport),
    apiKeys: createClient(ApiKeyService, transport),
    auth: createClient(AuthService, transport),
    modelAliases: createClient(ModelAliasService, transport),
  };
  return { admin, creates, updates };
}

async function run(args: string[], admin: AdminClients): Promise<string[]> {
  const lines: string[] = [];
  await accountsCommand(args, admin, (line) => lines.push(line));
  return lines;
}

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cli-accounts-"));
  await writeFile(join(dir, "oauth_creds.json"), `${CREDS}\n`);
  await writeFile(join(dir, "not-json.txt"), "ya29.secret-not-json");
  await writeFile(join(dir, "auth.json"), `${AUTH_JSON}\n`);
  await writeFile(join(dir, "auth-api-key.json"), JSON.stringify({ OPENAI_API_KEY: "sk-secret-1", tokens: null }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("accounts add", () => {
  it("adds a Gemini API key account against the Gemini API unless told another base URL", async () => {
    const { admin, creates } = fakeAdmin();
    expect(await run(["add", "--name", "g", "--type", "gemini-api", "--api-key", "AIza-1"], admin)).toEqual(["account acc-new added (g)"]);
    await run(["add", "--name", "g2", "--type", "gemini-api", "--api-key", "AIza-2", "--base-url", "https://gemini.example"], admin);
    expect(creates[0]).toMatchObject({ type: AccountType.GEMINI_API, apiKey: "AIza-1", baseUrl: "https://generativelanguage.googleapis.com" });
    expect(creates[1]).toMatchObject({ baseUrl: "https://gemini.example" });
  });

  it("adds a Gemini OAuth account from the Gemini CLI's credentials file, with its project", async () => {
    const { admin, creates } = fakeAdmin();
    await run(["add", "--name", "g", "--type", "gemini-oauth", "--credentials-file", join(dir, "oauth_creds.json"), "--project", "proj-1"], admin);
    expect(creates[0]).toMatchObject({ type: AccountType.GEMINI_OAUTH, credentialsJson: CREDS, projectId: "proj-1", tokenUrl: "" });
    expect(creates[0]?.oauth).toBeUndefined();
  });

  it("adds a Gemini OAuth account from tokens, its project left for the server to find", async () => {
    const { admin, creates } = fakeAdmin();
    await run(
      ["add", "--name", "g", "--type", "gemini-oauth", "--access-token", "ya29.a", "--refresh-token", "1//r", "--expires-at", "2030-01-01T00:00:00Z"],
      admin,
    );
    expect(creates[0]).toMatchObject({ type: AccountType.GEMINI_OAUTH, projectId: "", credentialsJson: "", oauth: { accessToken: "ya29.a", refreshToken: "1//r" } });
    expect(creates[0]?.oauth?.expiresAt?.seconds).toBe(BigInt(Date.parse("2030-01-01T00:00:00Z") / 1000));
  });

  it("still adds Claude accounts as before, the type defaulting to claude-console", async () => {
    const { admin, creates } = fakeAdmin();
    await run(["add", "--name", "c", "--api-key", "sk-ant-1"], admin);
    await run(["add", "--name", "o", "--type", "claude-oauth", "--access-token", "at", "--token-url", "https://t.example/token"], admin);
    expect(creates[0]).toMatchObject({ type: AccountType.CLAUDE_CONSOLE, apiKey: "sk-ant-1", baseUrl: "" });
    expect(creates[1]).toMatchObject({ type: AccountType.CLAUDE_OAUTH, oauth: { accessToken: "at" }, tokenUrl: "https://t.example/token" });
  });

  it("needs exactly one source of Gemini OAuth credentials", async () => {
    const { admin, creates } = fakeAdmin();
    await expect(run(["add", "--name", "g", "--type", "gemini-oauth"], admin)).rejects.toThrow(/need --credentials-file .* or --access-token/);
    await expect(
      run(["add", "--name", "g", "--type", "gemini-oauth", "--credentials-file", join(dir, "oauth_creds.json"), "--access-token", "x"], admin),
    ).rejects.toThrow("give --credentials-file or --access-token, not both");
    expect(creates).toEqual([]);
  });

  it("refuses a credentials file it cannot read or that is not JSON, without printing its contents", async () => {
    const { admin } = fakeAdmin();
    const notJson = run(["add", "--name", "g", "--type", "gemini-oauth", "--credentials-file", join(dir, "not-json.txt")], admin);
    await expect(notJson).rejects.toThrow(/is not JSON/);
    await expect(notJson).rejects.not.toThrow(/ya29/);
    await expect(run(["add", "--name", "g", "--type", "gemini-oauth", "--credentials-file", join(dir, "missing.json")], admin)).rejects.toThrow(
      /cannot read .*missing\.json \(ENOENT\)/,
    );
  });

  it("refuses options that do not fit the type, and types it does not know", async () => {
    const { admin } = fakeAdmin();
    await expect(run(["add", "--name", "c", "--api-key", "k", "--project", "p"], admin)).rejects.toThrow("--project does not apply to claude-console accounts");
    await expect(run(["add", "--name", "g", "--type", "gemini-api", "--credentials-file", "f"], admin)).rejects.toThrow(
      "--credentials-file does not apply to gemini-api accounts",
    );
    await expect(run(["add", "--name", "x", "--type", "openai"], admin)).rejects.toThrow(
      /use claude-console, claude-oauth, gemini-api, gemini-oauth, openai-api or openai-oauth/,
    );
  });
});

describe("accounts add for OpenAI", () => {
  it("adds an OpenAI API key account against https://api.openai.com/v1 unless told another base URL", async () => {
    const { admin, creates } = fakeAdmin();
    expect(await run(["add", "--name", "o", "--type", "openai-api", "--api-key", "sk-proj-1"], admin)).toEqual(["account acc-new added (o)"]);
    const azure = "https://team.openai.azure.com/openai/v1";
    await run(["add", "--name", "az", "--type", "openai-api", "--api-key", "az-key", "--base-url", azure], admin);
    expect(creates[0]).toMatchObject({ type: AccountType.OPENAI_API, apiKey: "sk-proj-1", baseUrl: "https://api.openai.com/v1" });
    expect(creates[1]).toMatchObject({ type: AccountType.OPENAI_API, baseUrl: azure });
  });

  it("adds a ChatGPT account from Codex's auth.json, sent as it is, with a token URL if given", async () => {
    const { admin, creates } = fakeAdmin();
    await run(["add", "--name", "c", "--type", "openai-oauth", "--auth-json", join(dir, "auth.json"), "--token-url", "https://auth.example/oauth/token"], admin);
    expect(creates[0]).toMatchObject({ type: AccountType.OPENAI_OAUTH, credentialsJson: AUTH_JSON, tokenUrl: "https://auth.example/oauth/token" });
    expect(creates[0]?.oauth).toBeUndefined();
    expect(creates[0]?.baseUrl).toBe("");
  });

  it("needs --auth-json for a ChatGPT account, and refuses tokens, keys and Gemini options for it", async () => {
    const { admin, creates } = fakeAdmin();
    await expect(run(["add", "--name", "c", "--type", "openai-oauth"], admin)).rejects.toThrow(/openai-oauth accounts need --auth-json/);
    await expect(run(["add", "--name", "c", "--type", "openai-oauth", "--access-token", "at"], admin)).rejects.toThrow(
      "--access-token does not apply to openai-oauth accounts",
    );
    await expect(run(["add", "--name", "c", "--type", "openai-oauth", "--credentials-file", join(dir, "auth.json")], admin)).rejects.toThrow(
      "--credentials-file does not apply to openai-oauth accounts",
    );
    await expect(run(["add", "--name", "o", "--type", "openai-api", "--auth-json", join(dir, "auth.json")], admin)).rejects.toThrow(
      "--auth-json does not apply to openai-api accounts",
    );
    await expect(run(["add", "--name", "g", "--type", "gemini-oauth", "--auth-json", join(dir, "auth.json")], admin)).rejects.toThrow(
      "--auth-json does not apply to gemini-oauth accounts",
    );
    expect(creates).toEqual([]);
  });

  it("refuses an auth.json that is not JSON, holds only an API key or cannot be read, without printing its contents", async () => {
    const { admin } = fakeAdmin();
    const add = (file: string) => run(["add", "--name", "c", "--type", "openai-oauth", "--auth-json", join(dir, file)], admin);
    await expect(add("not-json.txt")).rejects.toThrow(/is not JSON; pass Codex's ~\/\.codex\/auth\.json/);
    await expect(add("not-json.txt")).rejects.not.toThrow(/ya29/);
    await expect(add("auth-api-key.json")).rejects.toThrow(/holds an API key, not a ChatGPT sign-in; add that key with --type openai-api/);
    await expect(add("auth-api-key.json")).rejects.not.toThrow(/sk-secret/);
    await expect(add("oauth_creds.json")).rejects.toThrow(/holds no ChatGPT sign-in tokens/);
    await expect(add("missing.json")).rejects.toThrow(/--auth-json: cannot read .*missing\.json \(ENOENT\)/);
  });
});

describe("accounts update", () => {
  it("replaces a ChatGPT account's tokens from a new auth.json, and takes one sign-in file at a time", async () => {
    const { admin, updates } = fakeAdmin();
    await run(["update", "acc-9", "--auth-json", join(dir, "auth.json")], admin);
    expect(updates[0]).toMatchObject({ id: "acc-9", credentialsJson: AUTH_JSON });
    expect(updates[0]?.oauth).toBeUndefined();
    await expect(
      run(["update", "acc-9", "--auth-json", join(dir, "auth.json"), "--credentials-file", join(dir, "oauth_creds.json")], admin),
    ).rejects.toThrow("give --credentials-file or --auth-json, not both");
  });

  it("changes a Gemini OAuth account's project, token URL and credentials file, and nothing else", async () => {
    const { admin, updates } = fakeAdmin();
    await run(["update", "acc-1", "--project", "proj-2", "--token-url", "https://t.example", "--credentials-file", join(dir, "oauth_creds.json")], admin);
    expect(updates[0]).toMatchObject({ id: "acc-1", projectId: "proj-2", tokenUrl: "https://t.example", credentialsJson: CREDS });
    expect(updates[0]?.name).toBeUndefined();
    expect(updates[0]?.apiKey).toBeUndefined();
    expect(updates[0]?.oauth).toBeUndefined();
  });

  it("refuses to change an account's type", async () => {
    const { admin } = fakeAdmin();
    await expect(run(["update", "acc-1", "--type", "gemini-api"], admin)).rejects.toThrow(/type cannot change/);
  });
});

describe("accounts list", () => {
  const accounts = [
    create(AccountSchema, { id: "a1", name: "main", type: AccountType.CLAUDE_CONSOLE, platform: Platform.CLAUDE, priority: 50, maxConcurrentTasks: 2 }),
    create(AccountSchema, { id: "a2", name: "gem", type: AccountType.GEMINI_OAUTH, platform: Platform.GEMINI, priority: 10, usageToday: { requests: 3n, tokens: 900n } }),
    // A server that does not name the platform yet: the type tells it.
    create(AccountSchema, { id: "a3", name: "gkey", type: AccountType.GEMINI_API, priority: 50 }),
    create(AccountSchema, { id: "a4", name: "okey", type: AccountType.OPENAI_API, platform: Platform.OPENAI, priority: 50 }),
    create(AccountSchema, { id: "a5", name: "chatgpt", type: AccountType.OPENAI_OAUTH, priority: 20 }),
  ];

  it("shows each account's platform and type", async () => {
    const [text] = await run(["list"], fakeAdmin(accounts).admin);
    const lines = (text ?? "").split("\n");
    expect(lines[0]).toMatch(/^ID\s+PLATFORM\s+NAME\s+TYPE\s+PRIORITY\s+SLOTS/);
    expect(lines[1]).toMatch(/^a1\s+claude\s+main\s+claude-console\s+50\s+0\/2/);
    expect(lines[2]).toMatch(/^a2\s+gemini\s+gem\s+gemini-oauth\s+10\s+0\/∞/);
    expect(lines[3]).toMatch(/^a3\s+gemini\s+gkey\s+gemini-api\s+50/);
    expect(lines[4]).toMatch(/^a4\s+openai\s+okey\s+openai-api\s+50/);
    expect(lines[5]).toMatch(/^a5\s+openai\s+chatgpt\s+openai-oauth\s+20/);
  });

  it("narrows to one platform, and writes JSON with 64-bit counters as strings", async () => {
    const { admin } = fakeAdmin(accounts);
    const [text] = await run(["list", "--platform", "gemini"], admin);
    expect(text).not.toContain("main");
    expect(text).toContain("gkey");
    const [json] = await run(["list", "--platform", "gemini", "--json"], admin);
    const parsed = JSON.parse(json ?? "") as { name: string; usageToday?: { requests: string } }[];
    expect(parsed.map((a) => a.name)).toEqual(["gem", "gkey"]);
    expect(parsed[0]?.usageToday?.requests).toBe("3");
    const [openai] = await run(["list", "--platform", "OpenAI"], admin);
    expect((openai ?? "").split("\n").slice(1).map((line) => line.split(/\s+/)[0])).toEqual(["a4", "a5"]);
    await expect(run(["list", "--platform", "mistral"], admin)).rejects.toThrow(/unknown platform "mistral": use claude, gemini or openai/);
  });
});

describe("ACCOUNTS_HELP", () => {
  it("names the six types and how each is given its credentials", () => {
    for (const text of [
      "gemini-api",
      "gemini-oauth",
      "--credentials-file",
      "oauth_creds.json",
      "--project",
      "--token-url",
      "openai-api:",
      "https://api.openai.com/v1",
      "openai-oauth:",
      "--auth-json PATH",
      "~/.codex/auth.json",
      "--platform claude|gemini|openai",
    ]) {
      expect(ACCOUNTS_HELP).toContain(text);
    }
  });
});

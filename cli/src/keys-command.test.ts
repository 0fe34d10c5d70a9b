import { create } from "@bufbuild/protobuf";
import {
  AccountService,
  ApiKeySchema,
  ApiKeyService,
  AuthService,
  ModelAliasService,
  Platform,
  type ApiKey,
  type CreateApiKeyRequest,
  type UpdateApiKeyRequest,
} from "@claude-relay/proto/admin";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { AdminClients } from "./admin-client.js";
import { KEYS_HELP, keysCommand, platformScope, platformsCell, queueWaitChange, queueWaitOption, waitCell } from "./keys-command.js";

function fakeAdmin(apiKeys: ApiKey[] = []) {
  const creates: CreateApiKeyRequest[] = [];
  const updates: UpdateApiKeyRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(ApiKeyService, {
      createApiKey: async (req) => {
        creates.push(req);
        return { apiKey: create(ApiKeySchema, { id: "k-new", name: req.name }), plaintextKey: "cr_secret" };
      },
      updateApiKey: async (req) => {
        updates.push(req);
        return { apiKey: create(ApiKeySchema, { id: req.id, ...(req.queueWaitMs !== undefined && { queueWaitMs: req.queueWaitMs }) }) };
      },
      listApiKeys: async () => ({ apiKeys }),
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
  await keysCommand(args, admin, (line) => lines.push(line));
  return lines;
}

describe("keys create", () => {
  it("limits a key to Gemini and binds it there to a group", async () => {
    const { admin, creates } = fakeAdmin();
    const [out] = await run(["create", "--name", "g", "--platforms", "gemini", "--group-gemini", "gem-team", "--json"], admin);
    expect(JSON.parse(out ?? "")).toEqual({ id: "k-new", name: "g", key: "cr_secret" });
    expect(creates[0]).toMatchObject({ platforms: [Platform.GEMINI], platformGroups: [{ platform: Platform.GEMINI, group: "gem-team" }] });
  });

  it("leaves a key on every platform by default, with a group on each if asked", async () => {
    const { admin, creates } = fakeAdmin();
    await run(["create", "--name", "all"], admin);
    await run(["create", "--name", "both", "--platforms", "claude,gemini", "--group-claude", "c", "--group-gemini", "g"], admin);
    expect(creates[0]).toMatchObject({ platforms: [], platformGroups: [] });
    expect(creates[1]).toMatchObject({
      platforms: [Platform.CLAUDE, Platform.GEMINI],
      platformGroups: [
        { platform: Platform.CLAUDE, group: "c" },
        { platform: Platform.GEMINI, group: "g" },
      ],
    });
  });
});

describe("platformScope", () => {
  it("refuses unknown platforms, an empty list, and a group on a platform left out", () => {
    expect(() => platformScope({ platforms: "mistral" })).toThrow(/--platforms: unknown platform "mistral": use claude, gemini or openai/);
    expect(() => platformScope({ platforms: "," })).toThrow(/needs at least one platform/);
    expect(() => platformScope({ platforms: "gemini", "group-claude": "c" })).toThrow("--group-claude needs claude among --platforms");
    expect(() => platformScope({ platforms: "claude,gemini", "group-openai": "o" })).toThrow("--group-openai needs openai among --platforms");
  });

  it("limits a key to OpenAI with a group there", () => {
    expect(platformScope({ platforms: "openai", "group-openai": " codex-team " })).toEqual({
      platforms: [Platform.OPENAI],
      platformGroups: [{ platform: Platform.OPENAI, group: "codex-team" }],
    });
  });

  it("reads names in any case, once each", () => {
    expect(platformScope({ platforms: "Gemini, gemini,CLAUDE" }).platforms).toEqual([Platform.GEMINI, Platform.CLAUDE]);
  });
});

describe("keys list", () => {
  it("shows the platforms each key may use and its group on each", async () => {
    const keys = [
      create(ApiKeySchema, { id: "k1", name: "any", keyPrefix: "cr_a", enabled: true }),
      create(ApiKeySchema, { id: "k2", name: "gem", keyPrefix: "cr_b", enabled: true, platforms: [Platform.GEMINI], platformGroups: [{ platform: Platform.GEMINI, group: "gt" }] }),
    ];
    const [text] = await run(["list"], fakeAdmin(keys).admin);
    const lines = (text ?? "").split("\n");
    expect(lines[0]).toMatch(/STATE\s+PLATFORMS\s+CONCURRENCY/);
    expect(lines[1]).toMatch(/enabled\s+all\s+unlimited/);
    expect(lines[2]).toMatch(/enabled\s+gemini\(group gt\)\s+unlimited/);
  });

  it("names groups set on a key open to every platform", () => {
    expect(platformsCell(create(ApiKeySchema, { platformGroups: [{ platform: Platform.CLAUDE, group: "c" }] }))).toBe("all: claude(group c)");
  });

  it("documents the platform options", () => {
    expect(KEYS_HELP).toContain("--platforms claude,gemini,openai");
    expect(KEYS_HELP).toContain("--group-gemini G");
    expect(KEYS_HELP).toContain("--group-openai G");
  });
});

describe("a key's wait for a free slot", () => {
  it("sets the bound at creation, or leaves the default", async () => {
    const { admin, creates } = fakeAdmin();
    await run(["create", "--name", "patient", "--queue-wait-ms", "30000"], admin);
    await run(["create", "--name", "hasty", "--queue-wait-ms", "0"], admin);
    await run(["create", "--name", "default"], admin);
    expect(creates.map((c) => c.queueWaitMs)).toEqual([30_000, 0, undefined]);
  });

  it("changes the bound on update, or clears it back to the default", async () => {
    const { admin, updates } = fakeAdmin();
    expect(await run(["update", "k1", "--queue-wait-ms", "5000"], admin)).toEqual(["key k1 updated (waits for a free slot: 5s)"]);
    expect(await run(["update", "k1", "--queue-wait-ms", "default"], admin)).toEqual(["key k1 updated (waits for a free slot: default)"]);
    await run(["update", "k1", "--name", "renamed", "--concurrency", "3", "--models", "claude-sonnet-*"], admin);
    expect(updates[0]).toMatchObject({ id: "k1", queueWaitMs: 5_000, clearQueueWaitMs: false });
    expect(updates[1]).toMatchObject({ id: "k1", clearQueueWaitMs: true });
    expect(updates[1]?.queueWaitMs).toBeUndefined();
    expect(updates[2]).toMatchObject({ id: "k1", name: "renamed", concurrencyLimit: 3, allowedModels: { models: ["claude-sonnet-*"] }, clearQueueWaitMs: false });
    expect(updates[2]?.queueWaitMs).toBeUndefined();
  });

  it("refuses a bound that is not whole ms from 0 to 10 minutes, and create-only options on update", async () => {
    for (const raw of ["-1", "1.5", "600001", "soon", ""]) expect(() => queueWaitOption(raw)).toThrow(`--queue-wait-ms must be an integer from 0 to 600000, got "${raw}"`);
    expect(queueWaitChange(undefined)).toEqual({});
    expect(queueWaitChange("Default")).toEqual({ clearQueueWaitMs: true });
    await expect(run(["update", "k1", "--platforms", "gemini"], fakeAdmin().admin)).rejects.toThrow("keys update does not change --platforms");
  });

  it("shows each key's bound in the list", async () => {
    const keys = [
      create(ApiKeySchema, { id: "k1", name: "default", enabled: true }),
      create(ApiKeySchema, { id: "k2", name: "never", enabled: true, queueWaitMs: 0 }),
      create(ApiKeySchema, { id: "k3", name: "waits", enabled: true, queueWaitMs: 1_500 }),
    ];
    const lines = ((await run(["list"], fakeAdmin(keys).admin))[0] ?? "").split("\n");
    expect(lines[0]).toMatch(/CONCURRENCY\s+WAIT\s+MODELS/);
    expect(lines.slice(1).map((line) => line.match(/unlimited\s+(\S+)/)?.[1])).toEqual(["default", "no", "1.5s"]);
    expect(waitCell({})).toBe("default");
    expect(KEYS_HELP).toContain("--queue-wait-ms N|default");
  });
});

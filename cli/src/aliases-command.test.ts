import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AccountService, ApiKeyService, AuthService, ModelAliasSchema, ModelAliasService, Platform, type ModelAlias } from "@claude-relay/proto/admin";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { AdminClients } from "./admin-client.js";
import { ALIASES_HELP, aliasesCommand } from "./aliases-command.js";
import { main } from "./main.js";

/** An admin API holding an alias table in memory, with the server's prefix rule. */
function fakeAdmin(initial: ModelAlias[] = []) {
  const table = new Map(initial.map((a) => [a.alias, a]));
  const transport = createRouterTransport(({ service }) => {
    service(ModelAliasService, {
      listModelAliases: async () => ({ aliases: [...table.values()].sort((a, b) => (a.alias < b.alias ? -1 : 1)) }),
      setModelAlias: async (req) => {
        if (!/^(claude|gemini)-./.test(req.targetModel)) throw new ConnectError('target_model: must start with "claude-" or "gemini-"', Code.InvalidArgument);
        const alias = create(ModelAliasSchema, {
          alias: req.alias,
          targetModel: req.targetModel,
          platform: req.targetModel.startsWith("gemini-") ? Platform.GEMINI : Platform.CLAUDE,
          updatedAt: timestampFromMs(Date.UTC(2025, 0, 2, 3, 4, 5)),
        });
        table.set(req.alias, alias);
        return { alias };
      },
      deleteModelAlias: async (req) => {
        if (!table.delete(req.alias)) throw new ConnectError(`model alias "${req.alias}" not found`, Code.NotFound);
        return {};
      },
    });
  });
  const admin: AdminClients = {
    accounts: createClient(AccountService, transport),
    apiKeys: createClient(ApiKeyService, transport),
    auth: createClient(AuthService, transport),
    modelAliases: createClient(ModelAliasService, transport),
  };
  return { admin, table };
}

async function run(args: string[], admin: AdminClients): Promise<string[]> {
  const lines: string[] = [];
  await aliasesCommand(args, admin, (line) => lines.push(line));
  return lines;
}

describe("aliases set", () => {
  it("points an alias at a model and says which platform serves it", async () => {
    const { admin, table } = fakeAdmin();
    expect(await run(["set", "gpt-4o", "claude-sonnet-4-5"], admin)).toEqual(["alias gpt-4o now stands for claude-sonnet-4-5 (claude)"]);
    expect(await run(["set", "gpt-4o-mini", "gemini-2.5-flash"], admin)).toEqual(["alias gpt-4o-mini now stands for gemini-2.5-flash (gemini)"]);
    expect(table.get("gpt-4o")?.targetModel).toBe("claude-sonnet-4-5");
  });

  it("prints the alias as JSON with --json", async () => {
    const [out] = await run(["set", "o3", "claude-opus-4-1", "--json"], fakeAdmin().admin);
    expect(JSON.parse(out ?? "")).toMatchObject({ alias: "o3", targetModel: "claude-opus-4-1", platform: Platform.CLAUDE });
  });

  it("needs exactly an alias and a target", async () => {
    const { admin } = fakeAdmin();
    await expect(run(["set", "gpt-4o"], admin)).rejects.toMatchObject({ code: "ERR_USAGE", message: expect.stringContaining("aliases set needs ALIAS and TARGET-MODEL") });
    await expect(run(["set", "a", "claude-x", "extra"], admin)).rejects.toMatchObject({ code: "ERR_USAGE" });
  });

  it("passes the server's refusal on", async () => {
    await expect(run(["set", "gpt-4o", "gpt-4-turbo"], fakeAdmin().admin)).rejects.toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringMatching(/^target_model:/) });
  });
});

describe("aliases list", () => {
  it("shows each alias with its target, platform and time of change", async () => {
    const { admin } = fakeAdmin();
    await run(["set", "gpt-4o-mini", "gemini-2.5-flash"], admin);
    await run(["set", "gpt-4o", "claude-sonnet-4-5"], admin);
    const [text] = await run(["list"], admin);
    const lines = (text ?? "").split("\n");
    expect(lines[0]).toMatch(/^ALIAS\s+TARGET MODEL\s+PLATFORM\s+UPDATED$/);
    expect(lines[1]).toMatch(/^gpt-4o\s+claude-sonnet-4-5\s+claude\s+2025-01-02T03:04:05Z$/);
    expect(lines[2]).toMatch(/^gpt-4o-mini\s+gemini-2.5-flash\s+gemini\s+2025-01-02T03:04:05Z$/);
  });

  it("says when there are none, and prints JSON with --json", async () => {
    expect(await run(["list"], fakeAdmin().admin)).toEqual(["no model aliases"]);
    const [json] = await run(["list", "--json"], fakeAdmin([create(ModelAliasSchema, { alias: "a", targetModel: "claude-x", platform: Platform.CLAUDE })]).admin);
    expect(JSON.parse(json ?? "")).toEqual([expect.objectContaining({ alias: "a", targetModel: "claude-x" })]);
  });
});

describe("aliases delete", () => {
  it("deletes an alias, and passes NotFound on for one that does not exist", async () => {
    const { admin, table } = fakeAdmin([create(ModelAliasSchema, { alias: "gpt-4o", targetModel: "claude-sonnet-4-5" })]);
    expect(await run(["delete", "gpt-4o"], admin)).toEqual(["alias gpt-4o deleted"]);
    expect(table.size).toBe(0);
    await expect(run(["delete", "gpt-4o"], admin)).rejects.toMatchObject({ code: Code.NotFound });
    await expect(run(["delete"], admin)).rejects.toMatchObject({ code: "ERR_USAGE" });
  });
});

describe("aliases help", () => {
  it("is printed for an unknown subcommand and is part of the main help", async () => {
    await expect(run(["rename"], fakeAdmin().admin)).rejects.toMatchObject({ code: "ERR_USAGE", message: ALIASES_HELP });
    const lines: string[] = [];
    expect(await main(["aliases", "--help"], {}, (l) => lines.push(l))).toBe(0);
    const help = lines.join("\n");
    expect(help).toContain("aliases ...");
    expect(help).toContain("set ALIAS TARGET-MODEL");
    expect(help).toContain("delete ALIAS");
  });
});

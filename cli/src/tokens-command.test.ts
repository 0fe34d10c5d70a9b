import { create } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { ServiceTokenSchema, ServiceTokenService, ServiceTokenState, type CreateServiceTokenRequest, type ServiceToken } from "@claude-relay/proto/admin";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { parseScopes, TOKENS_HELP, tokensCommand } from "./tokens-command.js";

function fakeTokens(listed: ServiceToken[] = []) {
  const creates: CreateServiceTokenRequest[] = [];
  const revokes: string[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(ServiceTokenService, {
      createServiceToken: async (req) => {
        creates.push(req);
        return { serviceToken: create(ServiceTokenSchema, { id: "t-new", name: req.name, scopes: req.scopes }), token: "crst_secret" };
      },
      listServiceTokens: async () => ({ serviceTokens: listed }),
      revokeServiceToken: async (req) => {
        revokes.push(req.id);
        return { serviceToken: create(ServiceTokenSchema, { id: req.id, state: ServiceTokenState.REVOKED }) };
      },
    });
  });
  return { client: createClient(ServiceTokenService, transport), creates, revokes };
}

async function run(args: string[], client: ReturnType<typeof fakeTokens>["client"]): Promise<string[]> {
  const lines: string[] = [];
  await tokensCommand(args, client, (line) => lines.push(line));
  return lines;
}

describe("tokens create", () => {
  it("creates a scoped token with an expiry and shows the secret once", async () => {
    const { client, creates } = fakeTokens();
    const [out] = await run(["create", "--name", "onboarding", "--scopes", "keys:write,read", "--expires-at", "2031-01-01T00:00:00Z", "--json"], client);
    expect(JSON.parse(out ?? "")).toEqual({ id: "t-new", name: "onboarding", scopes: ["keys:write", "read"], token: "crst_secret" });
    expect(creates[0]?.scopes).toEqual(["keys:write", "read"]);
    expect(timestampMs(creates[0]!.expiresAt!)).toBe(Date.parse("2031-01-01T00:00:00Z"));
  });

  it("prints the secret in its own line without --json", async () => {
    const [out] = await run(["create", "--name", "finance", "--scopes", "usage:read"], fakeTokens().client);
    expect(out).toContain("\n  crst_secret\n");
    expect(out).toContain("shown this once");
  });

  it("refuses to create without a name, scopes, a known scope or a valid date", async () => {
    const { client, creates } = fakeTokens();
    await expect(run(["create", "--scopes", "read"], client)).rejects.toThrow("needs --name");
    await expect(run(["create", "--name", "x"], client)).rejects.toThrow("needs --scopes");
    await expect(run(["create", "--name", "x", "--scopes", "admin"], client)).rejects.toThrow("--scopes: unknown admin");
    await expect(run(["create", "--name", "x", "--scopes", "read", "--expires-at", "soon"], client)).rejects.toThrow("ISO date");
    expect(creates).toHaveLength(0);
  });
});

describe("tokens list and revoke", () => {
  it("shows each token's scopes, state, expiry and last use", async () => {
    const listed = [
      create(ServiceTokenSchema, {
        id: "t1",
        name: "onboarding",
        tokenPrefix: "crst_AbCdEf",
        scopes: ["keys:write"],
        state: ServiceTokenState.ACTIVE,
        lastUsedAt: timestampFromMs(Date.parse("2030-05-01T10:00:00Z")),
      }),
      create(ServiceTokenSchema, { id: "t2", name: "old", scopes: ["read"], state: ServiceTokenState.REVOKED }),
    ];
    const [text] = await run(["list"], fakeTokens(listed).client);
    const lines = (text ?? "").split("\n");
    expect(lines[0]).toMatch(/^ID\s+NAME\s+PREFIX\s+SCOPES\s+STATE\s+EXPIRES\s+LAST USED$/);
    expect(lines[1]).toMatch(/onboarding\s+crst_AbCdEf\s+keys:write\s+active\s+-\s+2030-05-01T10:00:00Z/);
    expect(lines[2]).toMatch(/old\s+read\s+revoked/);
  });

  it("revokes by id", async () => {
    const { client, revokes } = fakeTokens();
    expect(await run(["revoke", "t1"], client)).toEqual(["service token t1 revoked"]);
    expect(revokes).toEqual(["t1"]);
  });
});

describe("parseScopes", () => {
  it("reads a comma list once each and documents every scope", () => {
    expect(parseScopes(" read, read ,usage:read")).toEqual(["read", "usage:read"]);
    for (const scope of ["read", "keys:write", "accounts:write", "aliases:write", "sessions:write", "notifications:write", "prices:write", "usage:read", "audit:read"]) {
      expect(TOKENS_HELP).toContain(scope);
    }
  });
});

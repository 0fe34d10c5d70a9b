import { Code, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { ApiKeyService } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import type { ServiceTokenRecord } from "../../auth/service-tokens.js";
import { rpcError } from "../admin/admin-client.test-helper.js";
import { createServiceTokenInterceptor, serviceTokenKey } from "./service-token.js";

const GOOD = `crst_${"g".repeat(43)}`;
const RECORD: ServiceTokenRecord = {
  id: "t1",
  name: "onboarding",
  scopes: ["keys:write"],
  tokenPrefix: "crst_gggggg",
  createdAtMs: 1,
  createdBy: "admin",
  expiresAtMs: 0,
  revokedAtMs: 0,
};

function setup(options: { blockedMs?: number; refuseFailure?: boolean } = {}) {
  const touched: string[] = [];
  const failures: string[] = [];
  const seen: Array<ServiceTokenRecord | undefined> = [];
  const interceptor = createServiceTokenInterceptor({
    tokens: { verify: async (token) => (token === GOOD ? RECORD : undefined), touch: (id) => void touched.push(id) },
    throttle: {
      blocked: async () => options.blockedMs,
      begin: async (subjects) => {
        failures.push(subjects.username);
        return options.refuseFailure ? { ok: false, retryAfterMs: 30_000 } : { ok: true, succeeded: async () => {} };
      },
    },
  });
  const bearer = (token: string): Interceptor => (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const client = (token: string) =>
    createClient(
      ApiKeyService,
      createRouterTransport(
        ({ service }) => {
          service(ApiKeyService, {
            createApiKey: (_req, ctx) => {
              seen.push(ctx.values.get(serviceTokenKey));
              return { plaintextKey: "k" };
            },
            listApiKeys: () => ({ apiKeys: [] }),
          });
        },
        { transport: { interceptors: [bearer(token)] }, router: { interceptors: [interceptor] } },
      ),
    );
  return { client, touched, failures, seen };
}

describe("createServiceTokenInterceptor", () => {
  it("lets a token call a method its scopes cover, with its record in the context and its use noted", async () => {
    const { client, touched, seen } = setup();
    expect((await client(GOOD).createApiKey({ name: "x" })).plaintextKey).toBe("k");
    expect(seen).toEqual([RECORD]);
    expect(touched).toEqual(["t1"]);
  });

  it("refuses a method outside the scopes with PermissionDenied", async () => {
    const { client } = setup();
    const err = await rpcError(client(GOOD).listApiKeys({}));
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toContain("lacks the scope read");
  });

  it("refuses an unknown token with Unauthenticated and counts it as a failure", async () => {
    const { client, failures } = setup();
    const err = await rpcError(client(`crst_${"u".repeat(43)}`).createApiKey({}));
    expect(err.code).toBe(Code.Unauthenticated);
    expect(failures).toHaveLength(1);
  });

  it("refuses with ResourceExhausted and a Retry-After once the caller is at its limit, even with a good token", async () => {
    const { client } = setup({ blockedMs: 12_000 });
    const err = await rpcError(client(GOOD).createApiKey({}));
    expect(err.code).toBe(Code.ResourceExhausted);
    expect(err.metadata.get("retry-after")).toBe("12");
  });

  it("refuses with ResourceExhausted the failure that reaches the limit", async () => {
    const { client } = setup({ refuseFailure: true });
    expect((await rpcError(client(`crst_${"u".repeat(43)}`).createApiKey({}))).code).toBe(Code.ResourceExhausted);
  });

  it("leaves other bearer tokens to the session check", async () => {
    const { client, touched } = setup();
    expect((await client("an-admin-session-token").createApiKey({})).plaintextKey).toBe("k");
    expect(touched).toEqual([]);
  });
});

/**
 * Finding a Google account's Code Assist project against the testkit's mock
 * Google upstream on 127.0.0.1: from loadCodeAssist, by onboarding (answered
 * at once or as an operation to poll), the bounds on polling, refusals with
 * secret-free reasons, and the calls going through the account's proxy.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULT_MOCK_GOOGLE_ACCOUNT, startMockGemini, type MockGemini, type MockGeminiOptions } from "@claude-relay/testkit";
import { createProxy } from "proxy";
import { afterEach, describe, expect, it } from "vitest";
import { CODE_ASSIST_METADATA, findCodeAssistProject, type CodeAssistOptions } from "./code-assist-project.js";

const TOKEN = DEFAULT_MOCK_GOOGLE_ACCOUNT.accessToken;
const FAST: CodeAssistOptions = { pollIntervalMs: 10, maxPolls: 5, timeoutMs: 5_000 };
let mock: MockGemini | undefined;

async function start(options: MockGeminiOptions): Promise<MockGemini> {
  mock = await startMockGemini(options);
  return mock;
}

afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

const bodies = (m: MockGemini, operation: string) => m.requests.filter((r) => r.operation === operation).map((r) => r.json);

describe("findCodeAssistProject", () => {
  it("takes the project loadCodeAssist names, sending the CLI's metadata with the bearer token", async () => {
    const m = await start({ accounts: [{ projectId: "managed-proj-1" }] });
    expect(await findCodeAssistProject({ baseUrl: m.url, accessToken: TOKEN, proxyUrl: "" }, FAST)).toEqual({ ok: true, projectId: "managed-proj-1", onboarded: false });
    expect(m.requests.map((r) => r.operation)).toEqual(["loadCodeAssist"]);
    expect(bodies(m, "loadCodeAssist")).toEqual([{ metadata: CODE_ASSIST_METADATA }]);
    expect(m.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("onboards an account that has no tier yet on the default tier, and takes the project from the answer", async () => {
    const m = await start({ accounts: [{ onboarded: false, projectId: "fresh-proj-2" }] });
    expect(await findCodeAssistProject({ baseUrl: m.url, accessToken: TOKEN, proxyUrl: "" }, FAST)).toEqual({ ok: true, projectId: "fresh-proj-2", onboarded: true });
    expect(m.requests.map((r) => r.operation)).toEqual(["loadCodeAssist", "onboardUser"]);
    expect(bodies(m, "onboardUser")).toEqual([{ tierId: "free-tier", metadata: CODE_ASSIST_METADATA }]);
  });

  it("polls the onboarding operation until it is done", async () => {
    const m = await start({ accounts: [{ onboarded: false, projectId: "polled-proj-3" }], onboarding: "after-poll" });
    const slept: number[] = [];
    const result = await findCodeAssistProject({ baseUrl: m.url, accessToken: TOKEN, proxyUrl: "" }, { ...FAST, sleep: async (ms) => void slept.push(ms) });
    expect(result).toEqual({ ok: true, projectId: "polled-proj-3", onboarded: true });
    expect(m.requests.map((r) => r.operation)).toEqual(["loadCodeAssist", "onboardUser", "getOperation"]);
    expect(m.requests[2]?.path).toMatch(/^\/v1internal\/operations\/onboard-[0-9a-f]+$/);
    expect(slept).toEqual([10]);
  });

  it("gives up after the allowed polls", async () => {
    const m = await start({ accounts: [{ onboarded: false }], onboarding: "after-poll" });
    const result = await findCodeAssistProject({ baseUrl: m.url, accessToken: TOKEN, proxyUrl: "" }, { ...FAST, maxPolls: 0 });
    expect(result).toEqual({ ok: false, reason: "onboarding on free-tier did not finish after 0 polls" });
  });

  it("asks for a project when the account's tier has none of its own", async () => {
    const m = await start({ accounts: [{ tier: "standard-tier" }] });
    expect(await findCodeAssistProject({ baseUrl: m.url, accessToken: TOKEN, proxyUrl: "" }, FAST)).toEqual({
      ok: false,
      reason: "the account's Code Assist tier has no project of its own; set project_id",
    });
  });

  it("reports a refused token by method, status and Google status, never the token", async () => {
    const m = await start({});
    const result = await findCodeAssistProject({ baseUrl: m.url, accessToken: "ya29.revoked-secret", proxyUrl: "" }, FAST);
    expect(result).toEqual({ ok: false, reason: "loadCodeAssist answered 401: UNAUTHENTICATED" });
  });

  it("reports an unreachable endpoint", async () => {
    const m = await start({});
    const url = m.url;
    await m.close();
    const result = await findCodeAssistProject({ baseUrl: url, accessToken: TOKEN, proxyUrl: "" }, FAST);
    expect(result).toEqual({ ok: false, reason: "Code Assist loadCodeAssist unreachable (ECONNREFUSED)" });
  });

  it("goes through the account's HTTP proxy, and names a refused tunnel without its password", async () => {
    const m = await start({ accounts: [{ projectId: "proxied-proj-4" }] });
    const proxy: Server = createProxy(createServer());
    (proxy as ReturnType<typeof createProxy>).authenticate = (req) => req.headers["proxy-authorization"] === `Basic ${Buffer.from("pu:proxy-pass-1").toString("base64")}`;
    let tunnels = 0;
    proxy.on("connect", () => tunnels++);
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const proxyUrl = (password: string) => `http://pu:${password}@127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      expect(await findCodeAssistProject({ baseUrl: m.url, accessToken: TOKEN, proxyUrl: proxyUrl("proxy-pass-1") }, FAST)).toMatchObject({ ok: true, projectId: "proxied-proj-4" });
      expect(tunnels).toBe(1);
      const refused = await findCodeAssistProject({ baseUrl: m.url, accessToken: TOKEN, proxyUrl: proxyUrl("wrong-pass-9") }, FAST);
      expect(refused).toEqual({ ok: false, reason: "the account's proxy refused the tunnel (HTTP 407)" });
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

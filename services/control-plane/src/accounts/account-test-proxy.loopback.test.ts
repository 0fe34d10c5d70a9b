import { createServer, type Server } from "node:http";
import type { AddressInfo, Server as NetServer } from "node:net";
import { startMockAnthropic, type MockAnthropic } from "@claude-relay/testkit";
import { createProxy } from "proxy";
import socks5 from "simple-socks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountTester } from "./account-test.js";

const credential = { kind: "api-key" as const, apiKey: "sk-ant-api-proxied-secret" };
let mock: MockAnthropic;
let httpProxy: Server;
let socksProxy: NetServer;
let httpPort = 0;
let socksPort = 0;
let httpProxied = 0;
const socksLogins: string[] = [];

function listen(server: NetServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

beforeAll(async () => {
  mock = await startMockAnthropic();
  httpProxy = createProxy(createServer());
  (httpProxy as ReturnType<typeof createProxy>).authenticate = (req) =>
    req.headers["proxy-authorization"] === `Basic ${Buffer.from("proxyuser:proxy-pass-1").toString("base64")}`;
  httpProxy.on("connect", () => httpProxied++);
  httpProxy.on("request", () => httpProxied++);
  httpPort = await listen(httpProxy);
  socksProxy = socks5.createServer({
    authenticate(username, password, _socket, callback) {
      socksLogins.push(username);
      if (username === "socksuser" && password === "socks-pass-2") callback();
      else callback(new Error("bad credentials"));
    },
  });
  socksPort = await listen(socksProxy);
});

afterAll(async () => {
  await mock?.close();
  httpProxy?.closeAllConnections();
  await new Promise((resolve) => httpProxy?.close(resolve));
  await new Promise((resolve) => socksProxy?.close(resolve));
});

describe("account tests through the account's proxy", () => {
  it("go through an HTTP proxy with basic auth", async () => {
    const before = httpProxied;
    const result = await createAccountTester().test({
      type: "claude-console",
      baseUrl: mock.url,
      credential,
      model: "claude-haiku-4-5",
      proxyUrl: `http://proxyuser:proxy-pass-1@127.0.0.1:${httpPort}`,
    });
    expect(result).toMatchObject({ ok: true, httpStatus: 200 });
    expect(httpProxied).toBeGreaterThan(before);
  });

  it("fail clearly, without the proxy password, when the proxy refuses the credentials", async () => {
    const result = await createAccountTester().test({
      type: "claude-console",
      baseUrl: mock.url,
      credential,
      model: "claude-haiku-4-5",
      proxyUrl: `http://proxyuser:wrong-pass-9@127.0.0.1:${httpPort}`,
    });
    expect(result.ok).toBe(false);
    expect(result.errorType).toBe("connection_error");
    expect(JSON.stringify(result)).not.toContain("wrong-pass-9");
    expect(JSON.stringify(result)).not.toContain(credential.apiKey);
  });

  it("go through a SOCKS5 proxy with auth", async () => {
    const before = mock.requests.length;
    const result = await createAccountTester().test({
      type: "claude-console",
      baseUrl: mock.url,
      credential,
      model: "claude-haiku-4-5",
      proxyUrl: `socks5://socksuser:socks-pass-2@127.0.0.1:${socksPort}`,
    });
    expect(result).toMatchObject({ ok: true, httpStatus: 200 });
    expect(socksLogins).toContain("socksuser");
    expect(mock.requests[before]?.headers["x-api-key"]).toBe(credential.apiKey);
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo, Server as NetServer } from "node:net";
import { freePort } from "@claude-relay/testkit";
import { OutcomeKind } from "@claude-relay/proto/lease";
import { createProxy } from "proxy";
import socks5 from "simple-socks";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { messagesBody, type RelayHarness, startRelayHarness } from "../relay-harness.test-helper.js";

let httpProxy: Server;
let openHttpProxy: Server;
let socksProxy: NetServer;
let openSocksProxy: NetServer;
let httpProxyPort = 0;
let openHttpProxyPort = 0;
let socksPort = 0;
let openSocksPort = 0;
let connects = 0;
let openConnects = 0;
let openSocksConnects = 0;
let socksLogins: string[] = [];
let h: RelayHarness;

function listen(server: NetServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

beforeAll(async () => {
  httpProxy = createProxy(createServer());
  (httpProxy as ReturnType<typeof createProxy>).authenticate = (req) =>
    req.headers["proxy-authorization"] === `Basic ${Buffer.from("proxyuser:proxy pass").toString("base64")}`;
  httpProxy.on("connect", () => connects++);
  httpProxyPort = await listen(httpProxy);
  socksProxy = socks5.createServer({
    authenticate(username, password, _socket, callback) {
      socksLogins.push(username);
      if (username === "socksuser" && password === "sockspass") callback();
      else callback(new Error("bad credentials"));
    },
  });
  socksPort = await listen(socksProxy);
  openHttpProxy = createProxy(createServer());
  openHttpProxy.on("connect", () => openConnects++);
  openHttpProxyPort = await listen(openHttpProxy);
  openSocksProxy = socks5.createServer();
  openSocksProxy.on("proxyConnect", () => openSocksConnects++);
  openSocksPort = await listen(openSocksProxy);
  h = await startRelayHarness({ accounts: () => [] });
});

afterAll(async () => {
  await h?.close();
  for (const proxy of [httpProxy, openHttpProxy]) {
    proxy?.closeAllConnections();
    await new Promise((resolve) => proxy?.close(resolve));
  }
  await new Promise((resolve) => socksProxy?.close(resolve));
  await new Promise((resolve) => openSocksProxy?.close(resolve));
});

beforeEach(async () => {
  await h.fake.waitForAllReleased();
  h.mock.requests.length = 0;
  h.fake.releases.length = 0;
  socksLogins = [];
});

async function viaProxy(proxyUrl: string) {
  h.fake.enqueueAcquire({ lease: { account: { id: "acct-proxied", baseUrl: h.mock.url, proxyUrl } } });
  const res = await request(`${h.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": "sk-client-key" },
    body: messagesBody({ stream: true }),
    dispatcher: h.client,
  });
  const text = await res.body.text();
  const [release] = await h.fake.waitForReleases(1);
  return { status: res.statusCode, text, release };
}

describe("accounts behind a proxy", () => {
  it("reaches the upstream through an HTTP CONNECT proxy with credentials", async () => {
    const before = connects;
    const res = await viaProxy(`http://proxyuser:proxy%20pass@127.0.0.1:${httpProxyPort}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain("event: message_stop");
    expect(connects).toBe(before + 1);
    expect(h.mock.requests[0]?.headers["x-api-key"]).toBe("sk-ant-account-acct-proxied");
    expect(res.release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
  });

  it("reaches the upstream through a SOCKS5 proxy with credentials", async () => {
    const res = await viaProxy(`socks5://socksuser:sockspass@127.0.0.1:${socksPort}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain("event: message_stop");
    expect(socksLogins).toContain("socksuser");
    expect(res.release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
  });

  it("reaches the upstream through an HTTP CONNECT proxy without credentials", async () => {
    const before = openConnects;
    const res = await viaProxy(`http://127.0.0.1:${openHttpProxyPort}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain("event: message_stop");
    expect(openConnects).toBe(before + 1);
    expect(h.mock.requests[0]?.headers["proxy-authorization"]).toBeUndefined();
    expect(res.release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
  });

  it("reaches the upstream through a SOCKS5 proxy without credentials", async () => {
    const before = openSocksConnects;
    const res = await viaProxy(`socks5://127.0.0.1:${openSocksPort}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain("event: message_stop");
    expect(openSocksConnects).toBe(before + 1);
    expect(res.release?.outcome?.kind).toBe(OutcomeKind.SUCCESS);
  });

  it("reports a proxy that refuses the credentials as a connection failure naming the proxy, without the credentials", async () => {
    const res = await viaProxy(`http://proxyuser:wrong-secret@127.0.0.1:${httpProxyPort}`);
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text).error.type).toBe("api_error");
    expect(res.release?.outcome).toMatchObject({
      kind: OutcomeKind.CONNECTION_FAILURE,
      detail: `proxy http://127.0.0.1:${httpProxyPort} refused the credentials (407)`,
    });
    expect(h.mock.requests).toHaveLength(0);
    expect(JSON.stringify(h.logs)).not.toContain("wrong-secret");
  });

  it("says so when an HTTP proxy wants credentials and the account has none", async () => {
    const res = await viaProxy(`http://127.0.0.1:${httpProxyPort}`);
    expect(res.status).toBe(502);
    expect(res.release?.outcome?.detail).toBe(`proxy http://127.0.0.1:${httpProxyPort} requires credentials (407)`);
  });

  it("reports a SOCKS5 proxy that refuses the credentials as a connection failure naming the proxy", async () => {
    const res = await viaProxy(`socks5://socksuser:not-the-pass@127.0.0.1:${socksPort}`);
    expect(res.status).toBe(502);
    expect(socksLogins).toContain("socksuser");
    expect(res.release?.outcome?.kind).toBe(OutcomeKind.CONNECTION_FAILURE);
    expect(res.release?.outcome?.detail).toContain(`proxy socks5://127.0.0.1:${socksPort}`);
    expect(res.release?.outcome?.detail).not.toContain("not-the-pass");
    expect(JSON.stringify(h.logs)).not.toContain("not-the-pass");
  });

  it("reports a proxy that is not there as unreachable, by host and port only", async () => {
    const port = await freePort();
    const res = await viaProxy(`socks5://someone:hunter2-secret@127.0.0.1:${port}`);
    expect(res.status).toBe(502);
    expect(res.release?.outcome).toMatchObject({
      kind: OutcomeKind.CONNECTION_FAILURE,
      detail: `proxy socks5://127.0.0.1:${port} unreachable: connection refused`,
    });
    expect(JSON.stringify(h.logs)).not.toContain("hunter2-secret");
  });

  it("reports a proxy scheme it cannot speak as a connection failure", async () => {
    const res = await viaProxy("ftp://127.0.0.1:21");
    expect(res.status).toBe(502);
    expect(res.release?.outcome).toMatchObject({ kind: OutcomeKind.CONNECTION_FAILURE, detail: "proxy scheme ftp: is not supported" });
  });
});

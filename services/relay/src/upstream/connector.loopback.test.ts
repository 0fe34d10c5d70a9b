import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { UpstreamConnectError } from "./connect-error.js";
import { createConnector } from "./connector.js";
import { parseProxyUrl } from "./proxy-url.js";

let servers: Server[] = [];

afterEach(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  servers = [];
});

/** A TCP server on loopback that runs `script` on every connection and records what it received. */
async function scripted(script: (socket: Socket, received: () => Buffer) => void): Promise<{ port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = createServer((socket) => {
    let bytes = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      received.push(chunk);
    });
    socket.on("error", () => {});
    script(socket, () => bytes);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as { port: number }).port, received };
}

/** Answers each read of `sizes[i]` bytes with `answers[i]`. */
function exchange(sizes: number[], answers: Buffer[]) {
  return (socket: Socket, received: () => Buffer) => {
    let step = 0;
    let consumed = 0;
    socket.on("data", () => {
      while (step < sizes.length && received().length - consumed >= (sizes[step] ?? 0)) {
        consumed += sizes[step] ?? 0;
        socket.write(answers[step] ?? Buffer.alloc(0));
        step++;
      }
    });
  };
}

function connectThrough(proxyUrl: string, target: { hostname: string; port: string }, timeoutMs = 2_000) {
  const parsed = parseProxyUrl(proxyUrl);
  if (!parsed.ok) throw new Error(parsed.detail);
  const failures: UpstreamConnectError[] = [];
  const connect = createConnector({ proxy: parsed.proxy, timeoutMs, onConnected: () => {}, onFailed: (error) => failures.push(error) });
  return new Promise<{ error: UpstreamConnectError | null; failures: UpstreamConnectError[] }>((resolve) => {
    connect({ ...target, host: target.hostname, protocol: "http:" }, (error, socket) => {
      socket?.destroy();
      resolve({ error: error as UpstreamConnectError | null, failures });
    });
  });
}

describe("the SOCKS5 connector", () => {
  it("sends the target by name and reports the proxy's refusal with its reason", async () => {
    const proxy = await scripted(exchange([3, 7 + "upstream.test".length], [Buffer.from([5, 0]), Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])]));
    const { error, failures } = await connectThrough(`socks5://127.0.0.1:${proxy.port}`, { hostname: "upstream.test", port: "8443" });
    expect(error).toMatchObject({
      code: "ERR_RELAY_PROXY_REFUSED",
      detail: `proxy socks5://127.0.0.1:${proxy.port} could not connect to upstream.test:8443: connection refused`,
    });
    expect(failures).toHaveLength(1);
    const request = Buffer.concat(proxy.received).subarray(3);
    expect([...request.subarray(0, 5)]).toEqual([5, 1, 0, 3, "upstream.test".length]);
    expect(request.subarray(5, 5 + 13).toString()).toBe("upstream.test");
    expect(request.readUInt16BE(18)).toBe(8443);
  });

  it("sends an IPv6 target as its 16 bytes", async () => {
    const proxy = await scripted(exchange([3, 22], [Buffer.from([5, 0]), Buffer.from([5, 1, 0, 1, 0, 0, 0, 0, 0, 0])]));
    await connectThrough(`socks5://127.0.0.1:${proxy.port}`, { hostname: "[2001:db8::7]", port: "443" });
    const request = Buffer.concat(proxy.received).subarray(3);
    expect([...request.subarray(0, 4)]).toEqual([5, 1, 0, 4]);
    expect(request.subarray(4, 20).toString("hex")).toBe("20010db8000000000000000000000007");
  });

  it("says the proxy wants credentials when it accepts no method offered", async () => {
    const proxy = await scripted(exchange([3], [Buffer.from([5, 0xff])]));
    const { error } = await connectThrough(`socks5://127.0.0.1:${proxy.port}`, { hostname: "upstream.test", port: "443" });
    expect(error).toMatchObject({ code: "ERR_RELAY_PROXY_AUTH", detail: `proxy socks5://127.0.0.1:${proxy.port} requires credentials` });
  });

  it("reports a peer that is no SOCKS5 proxy as a protocol error", async () => {
    const proxy = await scripted((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    const { error } = await connectThrough(`socks5://user:secret@127.0.0.1:${proxy.port}`, { hostname: "upstream.test", port: "443" });
    expect(error?.code).toBe("ERR_RELAY_PROXY_PROTOCOL");
    expect(error?.detail).toContain(`socks5://127.0.0.1:${proxy.port}`);
    expect(error?.detail).not.toContain("secret");
  });
});

describe("the HTTP CONNECT connector", () => {
  it("reports a refused tunnel with the proxy's status", async () => {
    const proxy = await scripted((socket) => socket.once("data", () => socket.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")));
    const { error } = await connectThrough(`http://127.0.0.1:${proxy.port}`, { hostname: "upstream.test", port: "443" });
    expect(error).toMatchObject({ code: "ERR_RELAY_PROXY_REFUSED", detail: `proxy http://127.0.0.1:${proxy.port} refused the tunnel to upstream.test:443 (403)` });
    expect(Buffer.concat(proxy.received).toString()).toMatch(/^CONNECT upstream\.test:443 HTTP\/1\.1\r\n/);
  });

  it("gives up on a proxy that never answers after the connect timeout", async () => {
    const proxy = await scripted(() => {});
    const started = Date.now();
    const { error } = await connectThrough(`http://u:pw-secret@127.0.0.1:${proxy.port}`, { hostname: "upstream.test", port: "80" }, 300);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({
      code: "ERR_RELAY_CONNECT_TIMEOUT",
      detail: `connect to upstream.test:80 via proxy http://127.0.0.1:${proxy.port} timed out after 300 ms`,
    });
    expect(Buffer.concat(proxy.received).toString()).toContain(`proxy-authorization: Basic ${Buffer.from("u:pw-secret").toString("base64")}`);
  });
});

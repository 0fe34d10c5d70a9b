import { createServer } from "node:http";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry, type Registry } from "@claude-relay/metrics";
import { freePort, type MockAnthropic, startMockAnthropic } from "@claude-relay/testkit";
import { createProxy } from "proxy";
import type { Dispatcher } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createUpstreamPools, type UpstreamPools, type UpstreamPoolsOptions } from "./pools.js";

let mock: MockAnthropic;
let pools: UpstreamPools | undefined;
let registry: Registry;
const logs: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  mock = await startMockAnthropic();
});

afterAll(async () => {
  await mock?.close();
});

afterEach(async () => {
  await pools?.close();
  pools = undefined;
});

function start(options: Partial<UpstreamPoolsOptions> = {}): UpstreamPools {
  registry = createMetricsRegistry("relay");
  pools = createUpstreamPools({
    connections: 8,
    connectTimeoutMs: 2_000,
    headersTimeoutMs: 5_000,
    bodyTimeoutMs: 5_000,
    idleEvictMs: 60_000,
    deadAfterFailures: 3,
    probeIntervalMs: 5_000,
    registry,
    log: createLogger({ service: "relay", level: "debug", destination: { write: (line: string) => void logs.push(JSON.parse(line)) } }),
    ...options,
  });
  return pools;
}

function dispatcherFor(origin: string, proxyUrl = ""): Dispatcher {
  const found = pools?.get(origin, proxyUrl);
  if (!found?.ok) throw new Error(`no pool: ${found?.detail}`);
  return found.pool.dispatcher;
}

async function get(origin: string, proxyUrl = "", path = "/v1/models"): Promise<number> {
  const res = await dispatcherFor(origin, proxyUrl).request({ origin, method: "GET", path });
  await res.body.dump();
  return res.statusCode;
}

/** The value of the series of `name` whose labels contain `labels`, or undefined. */
async function series(name: string, labels: string): Promise<number | undefined> {
  const text = await registry.metrics();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.split(" ").pop());
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("upstream pool stats", () => {
  it("exports each dispatcher's stats, connect time and errors, labelled by origin and proxy", async () => {
    start();
    expect(await get(mock.url)).toBe(200);
    const labels = `origin="${mock.url}",proxy="direct"`;
    expect(await series("relay_upstream_pool_connected", labels)).toBe(1);
    // The connection turns free once undici has seen the response through.
    await until(async () => (await series("relay_upstream_pool_free", labels)) === 1);
    expect(await series("relay_upstream_pool_running", labels)).toBe(0);
    expect(await series("relay_upstream_pool_pending", labels)).toBe(0);
    expect(await series("relay_upstream_pool_size", labels)).toBe(0);
    expect(await series("relay_upstream_dead", labels)).toBe(0);
    expect(await series("relay_upstream_connect_seconds_count", labels)).toBe(1);
    expect(pools?.snapshot()).toEqual([expect.objectContaining({ origin: mock.url, proxy: "direct", dead: false })]);
  });

  it("labels a proxied dispatcher by the proxy's scheme, host and port, never its credentials", async () => {
    const proxy = createProxy(createServer());
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const port = (proxy.address() as { port: number }).port;
    try {
      start();
      expect(await get(mock.url, `http://alice:pa55word@127.0.0.1:${port}`)).toBe(200);
      const text = await registry.metrics();
      expect(text).toContain(`relay_upstream_pool_connected{origin="${mock.url}",proxy="http://127.0.0.1:${port}",service="relay"} 1`);
      expect(text).not.toContain("pa55word");
      expect(text).not.toContain("alice");
    } finally {
      await pools?.close();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it("counts failed connects as connect errors", async () => {
    start({ deadAfterFailures: 100 });
    const origin = `http://127.0.0.1:${await freePort()}`;
    await expect(get(origin)).rejects.toMatchObject({ code: "ERR_RELAY_CONNECT_FAILED" });
    expect(await series("relay_upstream_errors_total", `origin="${origin}",proxy="direct",stage="connect"`)).toBe(1);
  });
});

describe("idle eviction", () => {
  it("closes a dispatcher unused for the idle time, and drops its series", async () => {
    start({ idleEvictMs: 300 });
    await get(mock.url);
    expect(pools?.snapshot()).toHaveLength(1);
    await until(() => pools?.snapshot().length === 0);
    expect(await series("relay_upstream_pool_connected", `origin="${mock.url}"`)).toBeUndefined();
    expect(await series("relay_upstream_connect_seconds_count", `origin="${mock.url}"`)).toBeUndefined();
    // The next request builds it again.
    expect(await get(mock.url)).toBe(200);
    expect(pools?.snapshot()).toHaveLength(1);
  });

  it("keeps a dispatcher whose request is still running, however long", async () => {
    start({ idleEvictMs: 300 });
    mock.enqueue({ kind: "stall", afterEvents: 1 });
    const res = await dispatcherFor(mock.url).request({
      origin: mock.url,
      method: "POST",
      path: "/v1/messages",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream: true, messages: [] }),
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(pools?.snapshot()).toEqual([expect.objectContaining({ stats: expect.objectContaining({ running: 1 }) })]);
    res.body.destroy();
  });
});

describe("dead upstreams", () => {
  it("marks a pair dead after the failed connects, fails fast while dead, and revives it once a probe connects", async () => {
    start({ deadAfterFailures: 2, probeIntervalMs: 100 });
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 2; i++) await expect(get(origin)).rejects.toMatchObject({ code: "ERR_RELAY_CONNECT_FAILED" });
    const dead = pools?.get(origin, "");
    expect(dead).toEqual({
      ok: false,
      detail: `${origin} is marked unreachable after 2 failed connects (last: connect to 127.0.0.1:${port} failed: connection refused)`,
    });
    expect(await series("relay_upstream_dead", `origin="${origin}"`)).toBe(1);
    expect(await series("relay_upstream_marked_dead_total", `origin="${origin}"`)).toBe(1);
    expect(logs.some((line) => line.msg === "upstream marked dead after failed connects; probing" && line.origin === origin)).toBe(true);

    const server = createServer((_req, res) => res.end("back"));
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      await until(() => pools?.get(origin, "").ok === true);
      expect(await get(origin)).toBe(200);
      expect(await series("relay_upstream_dead", `origin="${origin}"`)).toBe(0);
    } finally {
      await pools?.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("proxies that refuse the credentials", () => {
  it("are not marked dead: the proxy is up, the account's credentials are wrong", async () => {
    const proxy = createProxy(createServer());
    proxy.authenticate = () => false;
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const port = (proxy.address() as { port: number }).port;
    try {
      start({ deadAfterFailures: 1 });
      const proxyUrl = `http://someone:wrong@127.0.0.1:${port}`;
      for (let i = 0; i < 3; i++) await expect(get(mock.url, proxyUrl)).rejects.toMatchObject({ code: "ERR_RELAY_PROXY_AUTH" });
      expect(pools?.get(mock.url, proxyUrl).ok).toBe(true);
      expect(await series("relay_upstream_errors_total", `proxy="http://127.0.0.1:${port}",stage="connect"`)).toBe(3);
    } finally {
      await pools?.close();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe("warm-up", () => {
  it("opens the asked number of connections to each origin with HEAD /", async () => {
    start();
    mock.requests.length = 0;
    const [result] = (await pools?.warm([mock.url], 3)) ?? [];
    expect(result).toEqual({ origin: mock.url, connected: 3, failed: 0 });
    expect(mock.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["HEAD /", "HEAD /", "HEAD /"]);
    expect(mock.requests.every((r) => r.headers["x-api-key"] === undefined && r.headers.authorization === undefined)).toBe(true);
  });

  it("keeps warmed origins from idle eviction", async () => {
    start({ idleEvictMs: 300 });
    await pools?.warm([mock.url], 1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(pools?.snapshot()).toHaveLength(1);
  });
});

import { Counter } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createMetricsRegistry } from "./registry.js";
import { createMetricsServer, type MetricsServer } from "./metrics-server.js";

let started: MetricsServer | undefined;

afterEach(async () => {
  await started?.close();
  started = undefined;
});

async function start(isReady?: () => boolean | Promise<boolean>): Promise<string> {
  const registry = createMetricsRegistry("test");
  new Counter({ name: "test_scraped_total", help: "test", registers: [registry] }).inc(2);
  started = createMetricsServer({ registry, ...(isReady && { isReady }) });
  const port = await started.listen(0, "127.0.0.1");
  expect(port).toBeGreaterThan(0);
  return `http://127.0.0.1:${port}`;
}

describe("createMetricsServer", () => {
  it("serves the registry at /metrics on the port it reports", async () => {
    const base = await start();
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('test_scraped_total{service="test"} 2');
  });

  it("answers /livez, and /readyz as isReady says, whether it answers in time or throws", async () => {
    let ready: boolean | Error = false;
    const base = await start(async () => {
      if (ready instanceof Error) throw ready;
      return ready;
    });
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    ready = new Error("redis down");
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
  });

  it("answers any other path, and a POST to /metrics, with a bare 404", async () => {
    const base = await start();
    for (const res of [await fetch(`${base}/`), await fetch(`${base}/v1/messages`), await fetch(`${base}/metrics`, { method: "POST" })]) {
      expect(res.status).toBe(404);
      expect(await res.text()).toBe("not found\n");
    }
  });

  it("stops listening on close, and closes cleanly without having listened", async () => {
    const base = await start();
    await started?.close();
    await expect(fetch(`${base}/livez`)).rejects.toThrow();
    const idle = createMetricsServer({ registry: createMetricsRegistry("test") });
    await expect(idle.close()).resolves.toBeUndefined();
  });

  it("cuts a keep-alive connection at close instead of waiting for it", async () => {
    const base = await start();
    // fetch keeps its connection open; close must not wait for the keep-alive timeout.
    await (await fetch(`${base}/metrics`)).text();
    const startedAt = Date.now();
    await started?.close();
    expect(Date.now() - startedAt).toBeLessThan(1_000);
  });
});

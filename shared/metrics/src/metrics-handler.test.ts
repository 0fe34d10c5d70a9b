import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { Counter } from "prom-client";
import { createMetricsHandler } from "./metrics-handler.js";
import { createMetricsRegistry } from "./registry.js";

describe("createMetricsHandler", () => {
  it("serves the registry's metrics with the service label over HTTP", async () => {
    const registry = createMetricsRegistry("relay");
    const counter = new Counter({ name: "relay_test_total", help: "test", registers: [registry] });
    counter.inc(3);
    const server = createServer(createMetricsHandler(registry));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/plain");
      const text = await res.text();
      expect(text).toContain('relay_test_total{service="relay"} 3');
      expect(text).toContain("process_cpu_user_seconds_total");
    } finally {
      server.close();
    }
  });
});

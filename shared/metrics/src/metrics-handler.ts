import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";

/** Serves a registry in the Prometheus text format, for GET /metrics. */
export function createMetricsHandler(registry: Registry) {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const body = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(body);
    } catch {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end("metrics unavailable\n");
    }
  };
}

/**
 * The operator port: GET /metrics, plus /livez and /readyz for tools that look for them here.
 * It exists so that nothing a client can reach names an account, an origin or a proxy — the
 * metrics' labels do. It speaks plain HTTP/1.1 with no credential, so it belongs on a network
 * only the scraper reaches; what a service's main port serves is that service's business.
 * Anything else answers a bare 404.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { createMetricsHandler } from "./metrics-handler.js";

/** Options of createMetricsServer. */
export interface MetricsServerOptions {
  registry: Registry;
  /** Answers /readyz (200 or 503); without it /readyz answers as /livez does. */
  isReady?: () => boolean | Promise<boolean>;
  /** How long close() lets a running scrape finish before cutting its connection (default 2000 ms). */
  closeGraceMs?: number;
}

/** A metrics server; nothing listens until listen(). */
export interface MetricsServer {
  /** Listens; resolves with the bound port (port 0 picks a free one). */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting, lets running scrapes finish within the grace, then cuts the rest; safe before listen(). */
  close(): Promise<void>;
  readonly server: Server;
}

/** Creates the operator port's server over `registry`. */
export function createMetricsServer(options: MetricsServerOptions): MetricsServer {
  const { registry, isReady, closeGraceMs = 2_000 } = options;
  const metrics = createMetricsHandler(registry);
  const server = createServer((req, res) => void handle(req, res));
  // A scraper sends one small GET; a client slower than this is not one.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?", 1)[0];
    const probe = req.method === "GET" || req.method === "HEAD";
    if (req.method === "GET" && path === "/metrics") return metrics(req, res);
    if (probe && path === "/livez") return text(res, 200, "ok\n");
    if (probe && path === "/readyz") {
      const ready = isReady === undefined || (await Promise.resolve(isReady()).catch(() => false));
      return text(res, ready ? 200 : 503, ready ? "ready\n" : "not ready\n");
    }
    text(res, 404, "not found\n");
  }

  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        if (!server.listening) {
          server.closeAllConnections();
          resolve();
          return;
        }
        const force = setTimeout(() => server.closeAllConnections(), closeGraceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body), "x-content-type-options": "nosniff" });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

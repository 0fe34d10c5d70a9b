/**
 * The client-facing HTTP/1.1 server: the providers' routes (providers/registry.ts),
 * the probes, explicit timeouts, and an answer in a front door's error shape for
 * everything that is not a success — unknown routes (in the shape of the front
 * door whose path it is), and the requests Node's parser rejects before any
 * handler runs (oversized headers 431, too slow 408, malformed 400; in the first
 * provider's shape, since nothing of the request can be read). /metrics is not
 * served here but on the operator port (app.ts): its labels name accounts,
 * origins and proxies, so here it is an unknown path like any other.
 *
 * Probes answer without a key and without touching the control plane: `HEAD /`
 * and `HEAD /api/hello` are what Claude Code sends to see the API is there.
 * GET /v1/key/usage, a key holder's report on their key, is the relay's own
 * (keys/key-usage.ts); it is looked for only after every provider route.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "@claude-relay/logging";
import { type RelayFailure, writeErrorResponse } from "../errors.js";
import { KEY_USAGE_PATH, type KeyUsageHandler } from "../keys/key-usage.js";
import type { ApiHandler } from "../proxy/handle-api.js";
import type { RelayProvider } from "../providers/provider.js";
import { matchRoute, ownerOf } from "../providers/registry.js";
import type { RelayMetrics, RouteLabel } from "../relay-metrics.js";

/** Options of createRelayServer. */
export interface RelayServerOptions {
  host: string;
  port: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  api: ApiHandler;
  /** The front doors, in the order of providers/registry.ts; the first answers what no other can. */
  providers: readonly RelayProvider[];
  /** True once the relay can serve traffic (control plane connected, not shutting down). */
  isReady(): boolean;
  /** Serves GET /v1/key/usage when given. */
  keyUsage?: KeyUsageHandler;
  metrics: RelayMetrics;
  log: Logger;
}

/** The relay's HTTP server. */
export interface RelayServer {
  /** Listens; resolves to the bound port. */
  listen(): Promise<number>;
  /** Stops accepting connections and closes idle keep-alive ones; requests in flight go on. */
  stopAccepting(): void;
  /** Closes every connection left and resolves once the server is closed. */
  closeAll(): Promise<void>;
  readonly server: Server;
}

/** Creates a source of request ids in the Anthropic style (`req_` + 24 random characters). */
export function createRequestIds(): () => string {
  // One call into the CSPRNG per 256 ids instead of one per request.
  let pool = Buffer.alloc(0);
  let offset = 0;
  return () => {
    if (offset + 18 > pool.length) {
      pool = randomBytes(18 * 256);
      offset = 0;
    }
    const id = pool.toString("base64url", offset, offset + 18);
    offset += 18;
    return `req_${id}`;
  };
}

/** Creates the server; nothing listens until listen(). */
export function createRelayServer(options: RelayServerOptions): RelayServer {
  const { api, metrics, log, providers } = options;
  const first = providers[0] as RelayProvider;
  const newRequestId = createRequestIds();
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      keepAliveTimeout: options.keepAliveTimeoutMs,
      // Timeouts are only checked this often; the default (30 s) would blur them.
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(options.headersTimeoutMs / 2))),
    },
    (req, res) => route(req, res),
  );
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket));

  function route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const path = query < 0 ? url : url.slice(0, query);
    const method = req.method ?? "GET";
    const probe = method === "GET" || method === "HEAD";
    const requestId = newRequestId();

    const matched = matchRoute(providers, method, path);
    if (matched !== undefined) {
      api.handle(req, res, requestId, matched).catch((error: unknown) => log.error({ err: error, requestId }, "request failed"));
      return;
    }
    if (method === "GET" && path === KEY_USAGE_PATH && options.keyUsage) return keyUsage(options.keyUsage, req, res, requestId, path);
    if (probe && (path === "/" || path === "/api/hello")) return simple(res, path === "/" ? "root" : "hello", 200, "ok\n");
    if (probe && path === "/livez") return simple(res, "livez", 200, "ok\n");
    if (probe && path === "/readyz") {
      const ready = options.isReady();
      return simple(res, "readyz", ready ? 200 : 503, ready ? "ready\n" : "not ready\n");
    }
    // A path under no route still has its key judged first: a refused key hears 401, not which paths exist.
    const owner = ownerOf(providers, path);
    api.authenticate(req, res, requestId, owner).then(
      (gate) => metrics.countRequest("not_found", gate.admitted ? writeErrorResponse(res, owner.errorResponse({ kind: "not-found", method, path }, requestId)) : gate.status),
      (error: unknown) => log.error({ err: error, requestId }, "request failed"),
    );
  }

  function keyUsage(handler: KeyUsageHandler, req: IncomingMessage, res: ServerResponse, requestId: string, path: string): void {
    const startedAt = performance.now();
    handler(req, res, requestId, ownerOf(providers, path)).then(
      (status) => {
        const seconds = (performance.now() - startedAt) / 1000;
        metrics.countRequest("key_usage", status, seconds);
        log.info({ requestId, method: req.method, path, status, latencyMs: Math.round(seconds * 1000) }, "request");
      },
      (error: unknown) => log.error({ err: error, requestId }, "request failed"),
    );
  }

  function simple(res: ServerResponse, route: RouteLabel, status: number, body: string): void {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": String(body.length) });
    res.end(body);
    metrics.countRequest(route, status);
  }

  function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
    const inFlight = (socket as { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const failure: RelayFailure =
      error.code === "HPE_HEADER_OVERFLOW"
        ? { kind: "headers-too-large" }
        : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? { kind: "client-timeout" }
          : { kind: "bad-http" };
    const answer = first.errorResponse(failure, newRequestId());
    const head = Object.entries(answer.headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("");
    socket.end(`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ""}\r\n${head}connection: close\r\n\r\n${answer.body}`);
    // The peer may never close its side; do not keep the socket for it.
    setTimeout(() => socket.destroy(), 1_000).unref();
    metrics.countRequest("client_error", answer.status);
  }

  return {
    server,
    listen() {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port, options.host, () => {
          server.off("error", reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    stopAccepting() {
      server.close();
      server.closeIdleConnections();
    },
    closeAll() {
      return new Promise((resolve) => {
        if (!server.listening) {
          server.closeAllConnections();
          resolve();
          return;
        }
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

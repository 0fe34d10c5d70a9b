/**
 * The control plane's admin port: the admin UI under /admin/, the admin API
 * over Connect (JSON and binary, e.g. `POST
 * /claude_relay.admin.v1.AuthService/Login`), gRPC-Web and gRPC, and the health
 * endpoints. /metrics is on the operator port (app.ts), not here. HTTP/1.1 and HTTP/2 are both served on the one port,
 * in cleartext (h2c with prior knowledge, http2-cleartext.ts) or, with a
 * certificate, over TLS with ALPN (tls-port.ts); gRPC needs HTTP/2.
 * gRPC server reflection and grpc.health.v1 answer without a credential, and
 * so does the key holders' /stats page with its JSON endpoint (key-stats.ts).
 * Anything else answers 404 JSON.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Http2SecureServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { RedisCommander } from "ioredis";
import { createAdminRoutes, type AdminRoutesDeps } from "../rpc/admin/admin-routes.js";
import { createAdminUiHandler } from "./admin-ui-files.js";
import type { KeyUsageLookup } from "../keys/key-usage.js";
import { createKeyStatsHandler } from "./key-stats.js";
import { clientContextValues } from "../rpc/admin/client-address.js";
import { addConnectHealth, healthServiceDesc } from "../rpc/connect-health.js";
import { addConnectReflection } from "../rpc/connect-reflection.js";
import { acceptHttp2Cleartext } from "./http2-cleartext.js";
import { createTlsPort, type TlsFiles } from "./tls-port.js";

/** The admin UI's production build, next to this service in the repository and in the image. */
const DEFAULT_ADMIN_UI_DIR = fileURLToPath(new URL("../../../admin-ui/dist", import.meta.url));

/** Dependencies of createAdminHttpServer. */
export interface AdminHttpServerDeps extends AdminRoutesDeps {
  /** Asked for PING by /readyz. */
  redis: Pick<RedisCommander, "ping">;
  /** Longest wait for PING before /readyz answers 503 (default 1000 ms). */
  readyTimeoutMs?: number;
  /** Largest admin request body (default 1 MiB). */
  readMaxBytes?: number;
  /** How long close() lets running requests finish before cutting connections (default 5000 ms). */
  closeGraceMs?: number;
  /** Folder of the built admin UI (default: services/admin-ui/dist). */
  adminUiDir?: string;
  /** Believe X-Forwarded-For for the caller's address (only behind a proxy that sets it). */
  trustProxy?: boolean;
  /** True once the process is shutting down: /readyz answers 503 whatever Redis says. */
  isDraining?: () => boolean;
  /** Set: the port speaks TLS (HTTP/1.1 and HTTP/2 by ALPN) with this certificate and key. */
  tls?: TlsFiles;
  /** A key holder's report on their key; when given, /stats and POST /stats/usage are served. */
  keyUsage?: KeyUsageLookup;
}

/** A started-or-not admin HTTP server. */
export interface AdminHttpServer {
  server: Server | Http2SecureServer;
  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting, lets running requests finish within the grace period, then cuts the rest. */
  close(): Promise<void>;
}

const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>claude-relay control plane</title></head>
<body><h1>claude-relay control plane</h1>
<p>The admin API is served here over Connect (JSON or binary), e.g. <code>POST /claude_relay.admin.v1.AuthService/Login</code>.
The admin UI is at <a href="/admin/">/admin/</a>.</p>
<p>Key holders see their key's usage and limits at <a href="/stats">/stats</a>.</p>
<p>Health: <a href="/livez">/livez</a>, <a href="/readyz">/readyz</a>. Metrics are served on the operator port.</p>
</body></html>
`;

/** Builds the admin HTTP server; it does not listen until `listen` is called. */
export function createAdminHttpServer(deps: AdminHttpServerDeps): AdminHttpServer {
  const { redis, readyTimeoutMs = 1_000, readMaxBytes = 1024 * 1024, closeGraceMs = 5_000 } = deps;
  const { routes, interceptors, services } = createAdminRoutes(deps);
  const trustProxy = deps.trustProxy ?? false;
  const connect = connectNodeAdapter({
    routes,
    interceptors,
    readMaxBytes,
    // Each call learns who is calling (sign-in limits, audit log).
    contextValues: (req) => clientContextValues(req as IncomingMessage, trustProxy),
    fallback: (_req, res) => notFound(res as ServerResponse),
  });
  // Reflection and health are for tools and probes: no credential, no audit, none of the admin interceptors.
  const grpcTools = connectNodeAdapter({
    routes: (router) => {
      addConnectReflection(router, { services: [...services, healthServiceDesc] });
      addConnectHealth(router, { isServing: async () => (await isReady()) && !deps.isDraining?.(), services: services.map((service) => service.typeName) });
    },
    readMaxBytes,
    fallback: (_req, res) => notFound(res as ServerResponse),
  });
  const adminUi = createAdminUiHandler(deps.adminUiDir ?? DEFAULT_ADMIN_UI_DIR);
  const keyStats = deps.keyUsage ? createKeyStatsHandler({ keyUsage: deps.keyUsage, trustProxy, log: deps.log }) : () => false;

  const isReady = async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), readyTimeoutMs);
    });
    try {
      return await Promise.race([redis.ping().then((reply) => reply === "PONG"), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (adminUi(req, res) || keyStats(req, res)) return;
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
    if (req.method === "GET" || req.method === "HEAD") {
      if (path === "/livez") return sendText(res, 200, "ok\n");
      if (path === "/readyz") {
        void isReady().then((ready) => {
          // Read after the PING, so a probe in flight when the drain begins already answers 503.
          if (deps.isDraining?.()) return sendText(res, 503, "draining\n");
          sendText(res, ready ? 200 : 503, ready ? "ok\n" : "redis unavailable\n");
        });
        return;
      }
      if (path === "/") return send(res, 200, "text/html; charset=utf-8", INDEX_HTML);
    }
    if (path.startsWith("/grpc.reflection.") || path.startsWith("/grpc.health.v1.")) return grpcTools(req, res);
    connect(req, res);
  };
  const listen = (listening: Server | Http2SecureServer) => (port: number, host: string) =>
    new Promise<number>((resolve, reject) => {
      listening.once("error", reject);
      listening.listen(port, host, () => {
        listening.off("error", reject);
        resolve((listening.address() as AddressInfo).port);
      });
    });
  if (deps.tls) {
    // A slow or stalled client is cut off in seconds, not minutes.
    const tls = createTlsPort(deps.tls, handle, { idleTimeoutMs: 120_000, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
    return { server: tls.server, listen: listen(tls.server), close: () => tls.close(closeGraceMs) };
  }
  const server = createServer(handle);
  // The same handler serves HTTP/2; its request and response objects offer what the handlers use.
  const http2 = acceptHttp2Cleartext(server, {
    handler: handle as unknown as Parameters<typeof acceptHttp2Cleartext>[1]["handler"],
    firstBytesTimeoutMs: 10_000,
    idleTimeoutMs: 120_000,
  });
  // A slow or stalled client is cut off in seconds, not minutes.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;

  return {
    server,
    listen: listen(server),
    close: async () => {
      await Promise.all([http2.close(closeGraceMs), closeHttp1()]);
    },
  };

  function closeHttp1(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!server.listening) return resolve();
      const force = setTimeout(() => server.closeAllConnections(), closeGraceMs);
      force.unref();
      server.close((err) => {
        clearTimeout(force);
        if (err) reject(err);
        else resolve();
      });
      server.closeIdleConnections();
    });
  }
}

function notFound(res: ServerResponse): void {
  send(res, 404, "application/json", JSON.stringify({ code: "not_found", message: "no such route" }));
}

function sendText(res: ServerResponse, status: number, body: string): void {
  send(res, status, "text/plain; charset=utf-8", body);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body), "x-content-type-options": "nosniff" });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

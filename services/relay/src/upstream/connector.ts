/**
 * How an upstream pool opens a connection: directly, or through the account's
 * proxy (an HTTP CONNECT or SOCKS5 tunnel, then TLS to the upstream inside it).
 * Every pool gets one of these as undici's `connect` function, so direct and
 * proxied upstreams are the same kind of Pool, with the same stats, timeouts and
 * connection bound.
 *
 * It owns the connect timeout (tunnel included), the time each connection took
 * and what a failure is called: every failure becomes an UpstreamConnectError
 * whose detail names the target and, when there is one, the proxy by its label,
 * never its credentials. What to do about failures is left to the pool.
 */
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { buildConnector } from "undici";
import { describeError } from "./classify-outcome.js";
import { UpstreamConnectError } from "./connect-error.js";
import { httpConnectHandshake } from "./http-connect-handshake.js";
import type { ProxyTarget } from "./proxy-url.js";
import { socks5Handshake } from "./socks5-handshake.js";

/** Options of createConnector. */
export interface ConnectorOptions {
  /** The proxy to tunnel through; direct when absent. */
  proxy?: ProxyTarget;
  /** Longest time to open a connection, proxy handshake and TLS included. */
  timeoutMs: number;
  /** Told of every connection opened, with how long it took. */
  onConnected(ms: number): void;
  /** Told of every connection that could not be opened. */
  onFailed(error: UpstreamConnectError): void;
}

type Connect = buildConnector.connector;
type Done = (error: Error | null, socket: Socket | null) => void;

/** Creates undici's `connect` function for one (origin, proxy) pool. */
export function createConnector(options: ConnectorOptions): Connect {
  const toTarget = buildConnector({ timeout: options.timeoutMs });
  const proxy = options.proxy;

  if (!proxy) {
    return (opts, callback) => {
      const started = performance.now();
      toTarget(opts, ((error, socket) => {
        if (error) {
          const failure = targetFailure(error, opts);
          options.onFailed(failure);
          (callback as Done)(failure, null);
          return;
        }
        options.onConnected(performance.now() - started);
        (callback as Done)(null, socket);
      }) as buildConnector.Callback);
    };
  }

  const toProxy = buildConnector({ timeout: options.timeoutMs });
  const handshake = proxy.kind === "socks5" ? socks5Handshake : httpConnectHandshake;
  const proxyOptions: buildConnector.Options = {
    hostname: proxy.host,
    host: proxy.host,
    protocol: proxy.kind === "https" ? "https:" : "http:",
    port: String(proxy.port),
    servername: proxy.kind === "https" ? proxy.host : undefined,
  };

  return (opts, callback) => {
    const started = performance.now();
    const host = opts.hostname.startsWith("[") ? opts.hostname.slice(1, -1) : opts.hostname;
    const port = Number(opts.port) || (opts.protocol === "https:" ? 443 : 80);
    let tunnel: Socket | null = null;
    let done = false;
    const finish = (error: UpstreamConnectError | null, socket: Socket | null): void => {
      if (done) {
        socket?.destroy();
        return;
      }
      done = true;
      clearTimeout(timer);
      if (error) {
        tunnel?.destroy();
        options.onFailed(error);
        (callback as Done)(error, null);
        return;
      }
      options.onConnected(performance.now() - started);
      (callback as Done)(null, socket);
    };
    const timer = setTimeout(() => {
      finish(new UpstreamConnectError("ERR_RELAY_CONNECT_TIMEOUT", `connect to ${host}:${port} via proxy ${proxy.label} timed out after ${options.timeoutMs} ms`), null);
    }, options.timeoutMs);

    toProxy(proxyOptions, ((error, socket) => {
      if (error || !socket) {
        const detail = `proxy ${proxy.label} unreachable: ${describeError(error)}`;
        finish(new UpstreamConnectError("ERR_RELAY_PROXY_UNREACHABLE", detail, { cause: error }), null);
        return;
      }
      tunnel = socket;
      if (done) return void socket.destroy();
      handshake(socket, proxy, host, port).then(
        () => {
          if (done) return;
          if (opts.protocol !== "https:") return finish(null, socket);
          toTarget({ ...opts, httpSocket: socket }, ((tlsError, tlsSocket) => {
            finish(tlsError ? targetFailure(tlsError, opts, proxy) : null, tlsSocket);
          }) as buildConnector.Callback);
        },
        (failure: unknown) => {
          const error =
            failure instanceof UpstreamConnectError
              ? failure
              : new UpstreamConnectError("ERR_RELAY_PROXY_PROTOCOL", `proxy ${proxy.label} handshake failed`, { cause: failure });
          finish(error, null);
        },
      );
    }) as buildConnector.Callback);
  };
}

/** A failure of TCP or TLS to the upstream itself, named by host and port (and the proxy it went through). */
function targetFailure(error: Error, opts: buildConnector.Options, proxy?: ProxyTarget): UpstreamConnectError {
  const where = `${opts.hostname}:${opts.port || (opts.protocol === "https:" ? 443 : 80)}${proxy ? ` via proxy ${proxy.label}` : ""}`;
  if ((error as { code?: unknown }).code === "UND_ERR_CONNECT_TIMEOUT") {
    return new UpstreamConnectError("ERR_RELAY_CONNECT_TIMEOUT", `connect to ${where} timed out`, { cause: error });
  }
  return new UpstreamConnectError("ERR_RELAY_CONNECT_FAILED", `connect to ${where} failed: ${describeError(error)}`, { cause: error });
}

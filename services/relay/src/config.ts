/**
 * The relay's environment, parsed once in main.ts. Every variable carries the
 * RELAY_ prefix (LOG_LEVEL is shared) and its unit in its name.
 */
import { envBool, envInt, envSecret, Secret } from "@claude-relay/config";
import { z } from "zod";

const MIB = 1024 * 1024;

/** A grpc-js target: `dns:///host:port`, `ipv4:…`, `ipv6:…`, `unix:…` or a bare `host:port`. */
function grpcTarget(defaultValue: string) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const value = raw === undefined || raw === "" ? defaultValue : raw.trim();
      if (!/^(dns:(\/\/[^/]*)?\/[^/\s]+|ipv4:\S+|ipv6:\S+|unix:\S+|[^\s:/]+:\d+)$/.test(value)) {
        ctx.addIssue({ code: "custom", message: "expected a gRPC target such as dns:///control-plane:50051" });
        return z.NEVER;
      }
      return value;
    });
}

/** A comma-separated list of http(s) URLs, kept as their origins (empty: none). */
function originList() {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const origins: string[] = [];
      for (const item of (raw ?? "").split(",")) {
        const value = item.trim();
        if (value === "") continue;
        let url: URL;
        try {
          url = new URL(value);
        } catch {
          ctx.addIssue({ code: "custom", message: `"${value.slice(0, 100)}" is not a valid URL` });
          return z.NEVER;
        }
        if (url.protocol !== "http:" && url.protocol !== "https:") {
          ctx.addIssue({ code: "custom", message: `"${url.origin}" must use http: or https:` });
          return z.NEVER;
        }
        if (!origins.includes(url.origin)) origins.push(url.origin);
      }
      return origins;
    });
}

/** The RELAY_* environment schema. */
export const relayConfigSchema = z
  .object({
  /** Port the client-facing HTTP server listens on; 0 picks a free one (tests). */
  RELAY_PORT: envInt(8080, { min: 0, max: 65535 }),
  /** Interface to listen on; 0.0.0.0 in a container. */
  RELAY_HOST: z.string().min(1).default("127.0.0.1"),
  /**
   * Port of the operator endpoint: /metrics (and /livez, /readyz again); 0 picks a free one (tests).
   * Never the client port: metric labels name accounts, origins and proxies.
   */
  RELAY_METRICS_PORT: envInt(9464, { min: 0, max: 65535 }),
  /** Interface the operator port listens on; unset, RELAY_HOST. */
  RELAY_METRICS_HOST: z.string().optional().transform((v) => v?.trim() || undefined),
  /**
   * True only behind a proxy that sets X-Forwarded-For: GET /v1/key/usage then names the address the
   * proxy appended to the control plane, whose attempt limit counts per client address.
   */
  RELAY_TRUST_PROXY: envBool(false),
  /** The control plane, as a grpc-js target; `dns:///` resolves every replica and balances round-robin. */
  RELAY_CONTROL_PLANE_URL: grpcTarget("dns:///127.0.0.1:50051"),
  /** Shared token sent as `x-internal-token` on every control-plane call. */
  RELAY_INTERNAL_TOKEN: envSecret({ minLength: 16 }).pipe(z.instanceof(Secret)),
  /** Deadline of one control-plane call. */
  RELAY_CONTROL_PLANE_DEADLINE_MS: envInt(5_000, { min: 100, max: 60_000 }),
  /** Lease streams kept open to the control plane, spread over its replicas; each is replaced every few minutes. */
  RELAY_CONTROL_PLANE_STREAMS: envInt(4, { min: 1, max: 64 }),
  /** A lease stream older than this takes no new calls and is replaced (below the control plane's connection-age grace). */
  RELAY_CONTROL_PLANE_STREAM_MAX_AGE_MS: envInt(5 * 60_000, { min: 100, max: 24 * 3_600_000 }),
  /**
   * The most lease calls sent in one Exchange message: calls made in the same turn of the event
   * loop go together, and the control plane answers them together. 0 or 1 sends every call alone.
   * Control planes older than batches are detected per stream and sent single calls.
   */
  RELAY_CONTROL_PLANE_BATCH_MAX_CALLS: envInt(0, { min: 0, max: 4_096 }),
  /** Largest request body accepted; larger ones get 413 request_too_large. */
  RELAY_MAX_BODY_BYTES: envInt(32 * MIB, { min: 1024 }),
  /** Time a client may take to send its request headers. */
  RELAY_HEADERS_TIMEOUT_MS: envInt(10_000, { min: 100 }),
  /** Time a client may take to send its whole request (headers and body); the response stream is not bounded by it. */
  RELAY_REQUEST_TIMEOUT_MS: envInt(60_000, { min: 100 }),
  /** Idle keep-alive connections from clients are closed after this long. */
  RELAY_KEEP_ALIVE_TIMEOUT_MS: envInt(65_000, { min: 100 }),
  /** Time to open a connection (TCP and TLS) to an upstream. */
  RELAY_UPSTREAM_CONNECT_TIMEOUT_MS: envInt(10_000, { min: 100 }),
  /**
   * Time the upstream may take to send response headers. A non-streaming answer sends
   * its headers only once the whole message is written, so this is minutes, like the SDKs' own timeout.
   */
  RELAY_UPSTREAM_HEADERS_TIMEOUT_MS: envInt(600_000, { min: 100 }),
  /** Longest upstream silence inside a response body before the stream is cut with an error event. */
  RELAY_STREAM_IDLE_TIMEOUT_MS: envInt(300_000, { min: 100 }),
  /**
   * Most sockets per upstream origin (and proxy). Every request in flight holds one,
   * streams included, so this bounds the streams one relay can relay to one origin.
   */
  RELAY_POOL_CONNECTIONS: envInt(512, { min: 1, max: 10_000 }),
  /** A dispatcher (origin, proxy) unused for this long is closed, and its metrics go with it. */
  RELAY_POOL_IDLE_EVICT_MS: envInt(300_000, { min: 1_000 }),
  /** Consecutive failed connects after which an (origin, proxy) pair is marked dead and attempts on it fail fast. */
  RELAY_POOL_DEAD_AFTER_FAILURES: envInt(3, { min: 1, max: 1_000 }),
  /** How often a dead (origin, proxy) pair is probed with a TCP connect to its first hop. */
  RELAY_POOL_PROBE_INTERVAL_MS: envInt(5_000, { min: 100, max: 600_000 }),
  /** Upstream origins to open connections to at start (comma list of URLs), so the first requests find them warm. */
  RELAY_WARM_ORIGINS: originList(),
  /** Connections opened per warm origin at start. */
  RELAY_WARM_CONNECTIONS: envInt(2, { min: 1, max: 64 }),
  /**
   * Sends an `event: ping` to a streaming client after this long without an upstream
   * byte, so idle proxies and load balancers keep the connection; 0 turns it off.
   */
  RELAY_CLIENT_PING_INTERVAL_MS: envInt(0, { min: 0, max: 600_000 }),
  /**
   * The most a request waits for a slot when every account that could serve it is full: the control
   * plane waits the smaller of this and the key's bound (its default is CONTROL_PLANE_QUEUE_WAIT_MS).
   * 0 never waits on this relay.
   */
  RELAY_QUEUE_MAX_WAIT_MS: envInt(600_000, { min: 0, max: 600_000 }),
  /** Attempts per request, counting the first: 2 means one failover to another account. */
  RELAY_MAX_ATTEMPTS: envInt(2, { min: 1, max: 5 }),
  /** On SIGTERM, time the requests in flight get to finish before they are cut with an error event. */
  RELAY_DRAIN_MS: envInt(30_000, { min: 0 }),
  /** pino level. */
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .superRefine((config, ctx) => {
    if (config.RELAY_METRICS_PORT !== 0 && config.RELAY_METRICS_PORT === config.RELAY_PORT && (config.RELAY_METRICS_HOST ?? config.RELAY_HOST) === config.RELAY_HOST) {
      ctx.addIssue({ code: "custom", path: ["RELAY_METRICS_PORT"], message: "must differ from RELAY_PORT: the operator port is not the client port" });
    }
    // node:http refuses a headers timeout longer than the whole-request timeout.
    if (config.RELAY_HEADERS_TIMEOUT_MS > config.RELAY_REQUEST_TIMEOUT_MS) {
      ctx.addIssue({ code: "custom", path: ["RELAY_HEADERS_TIMEOUT_MS"], message: "must not exceed RELAY_REQUEST_TIMEOUT_MS" });
    }
    // A ping is only useful before the idle timeout cuts the silent stream.
    if (config.RELAY_CLIENT_PING_INTERVAL_MS > 0 && config.RELAY_CLIENT_PING_INTERVAL_MS >= config.RELAY_STREAM_IDLE_TIMEOUT_MS) {
      ctx.addIssue({ code: "custom", path: ["RELAY_CLIENT_PING_INTERVAL_MS"], message: "must be shorter than RELAY_STREAM_IDLE_TIMEOUT_MS" });
    }
  });

/** The parsed, frozen relay configuration. */
export type RelayConfig = Readonly<z.output<typeof relayConfigSchema>>;

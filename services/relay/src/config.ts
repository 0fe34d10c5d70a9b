/**
 * The relay's environment, parsed once in main.ts. Every variable carries the
 * RELAY_ prefix (LOG_LEVEL is shared) and its unit in its name.
 */
import { envInt, envSecret, Secret } from "@claude-relay/config";
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

/** The RELAY_* environment schema. */
export const relayConfigSchema = z
  .object({
  /** Port the client-facing HTTP server listens on; 0 picks a free one (tests). */
  RELAY_PORT: envInt(8080, { min: 0, max: 65535 }),
  /** Interface to listen on; 0.0.0.0 in a container. */
  RELAY_HOST: z.string().min(1).default("127.0.0.1"),
  /** The control plane, as a grpc-js target; `dns:///` resolves every replica and balances round-robin. */
  RELAY_CONTROL_PLANE_URL: grpcTarget("dns:///127.0.0.1:50051"),
  /** Shared token sent as `x-internal-token` on every control-plane call. */
  RELAY_INTERNAL_TOKEN: envSecret({ minLength: 16 }).pipe(z.instanceof(Secret)),
  /** Deadline of one control-plane call. */
  RELAY_CONTROL_PLANE_DEADLINE_MS: envInt(5_000, { min: 100, max: 60_000 }),
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
  /** Connections per upstream origin (and proxy). */
  RELAY_POOL_CONNECTIONS: envInt(128, { min: 1, max: 10_000 }),
  /** Attempts per request, counting the first: 2 means one failover to another account. */
  RELAY_MAX_ATTEMPTS: envInt(2, { min: 1, max: 5 }),
  /** On shutdown, time in-flight requests get to finish before they are cut. */
  RELAY_DRAIN_MS: envInt(30_000, { min: 0 }),
  /** pino level. */
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .superRefine((config, ctx) => {
    // node:http refuses a headers timeout longer than the whole-request timeout.
    if (config.RELAY_HEADERS_TIMEOUT_MS > config.RELAY_REQUEST_TIMEOUT_MS) {
      ctx.addIssue({ code: "custom", path: ["RELAY_HEADERS_TIMEOUT_MS"], message: "must not exceed RELAY_REQUEST_TIMEOUT_MS" });
    }
  });

/** The parsed, frozen relay configuration. */
export type RelayConfig = Readonly<z.output<typeof relayConfigSchema>>;

/**
 * The control plane's environment, parsed once in main.ts by loadConfig.
 * Secrets arrive as Secret values; the encryption key's format is checked here
 * so a bad one stops the process at start, reported with every other problem.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { envBool, envInt, envSecret, envUrl, Secret } from "@claude-relay/config";
import { parseEncryptionKey } from "./accounts/credential-cipher.js";
import { CLAUDE_OAUTH_DEFAULTS } from "./providers/claude/claude-accounts.js";
import { GEMINI_DEFAULTS } from "./providers/gemini/google-oauth.js";
import { OPENAI_DEFAULTS } from "./providers/openai/chatgpt-oauth.js";
import type { ProvidersConfig } from "./providers/registry.js";

/** A secret that must be set; envSecret without `optional` never yields undefined. */
function requiredSecret(minLength: number) {
  return envSecret({ minLength }).transform((secret) => secret as Secret);
}

/** A trimmed string, or `fallback` when unset or blank. */
function stringOr(fallback: string) {
  return z.string().optional().transform((v) => v?.trim() || fallback);
}

/** The env schema of the control plane. */
export const controlPlaneConfigSchema = z
  .object({
    /** Port of the lease service (gRPC, for the relay). */
    CONTROL_PLANE_GRPC_PORT: envInt(50051, { max: 65535 }),
    /** Port of the admin API and health endpoints (HTTP/1.1, and HTTP/2 for gRPC). */
    CONTROL_PLANE_HTTP_PORT: envInt(8081, { max: 65535 }),
    /**
     * Port of the operator endpoint: /metrics (and /livez, /readyz again), cleartext HTTP/1.1 without
     * a credential; 0 picks a free one (tests). Metric labels name accounts, so not the admin port.
     */
    CONTROL_PLANE_METRICS_PORT: envInt(9465, { max: 65535 }),
    /** Interface the operator port listens on; unset, CONTROL_PLANE_HOST. */
    CONTROL_PLANE_METRICS_HOST: z.string().optional().transform((v) => v?.trim() || undefined),
    /**
     * PEM files of a certificate (chain) and its key: when both are set the admin port speaks TLS,
     * HTTP/1.1 and HTTP/2 chosen by ALPN; unset, it speaks cleartext (h2c with prior knowledge for gRPC).
     */
    CONTROL_PLANE_HTTP_TLS_CERT_FILE: z.string().optional().transform((v) => v || undefined),
    CONTROL_PLANE_HTTP_TLS_KEY_FILE: z.string().optional().transform((v) => v || undefined),
    /** Interface both servers bind; 0.0.0.0 in containers. */
    CONTROL_PLANE_HOST: z.string().optional().transform((v) => v || "127.0.0.1"),
    /**
     * The Redis that holds all state: `redis://` or `rediss://` for one server;
     * `redis+cluster://[user:pass@]host:port` (or `rediss+cluster://`) for a
     * Redis Cluster, naming one seed node (the others are discovered).
     */
    REDIS_URL: envUrl(["redis:", "rediss:", "redis+cluster:", "rediss+cluster:"]),
    /**
     * More Redis Cluster seed nodes, `host:port,host:port`. When set, Redis is a
     * cluster even with a plain `redis://` REDIS_URL, whose node, credentials
     * and TLS then apply to every seed.
     */
    REDIS_CLUSTER_NODES: z
      .string()
      .optional()
      .transform((v) => v?.trim() ?? "")
      .refine((v) => v === "" || v.split(",").every((node) => /^[^\s/:@]+:\d{1,5}$/.test(node.trim())), "must be host:port, comma-separated"),
    /** Shared token every relay call carries as x-internal-token. */
    CONTROL_PLANE_INTERNAL_TOKEN: requiredSecret(16),
    /** AES-256-GCM key for account credentials: 64 hex characters or base64 of 32 bytes. */
    CONTROL_PLANE_ENCRYPTION_KEY: requiredSecret(1).superRefine((secret, ctx) => {
      try {
        parseEncryptionKey(secret.reveal());
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
      }
    }),
    /**
     * A lease-service client connection is asked to reconnect after this long (0: never), so
     * clients behind a `dns:///` target find replicas added since; a scale-out reaches every
     * relay within this time.
     */
    CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_MS: envInt(30 * 60_000, { min: 0, max: 24 * 3_600_000 }),
    /**
     * How long calls may go on over a connection asked to reconnect before it is closed. Keep it
     * above the relay's RELAY_CONTROL_PLANE_STREAM_MAX_AGE_MS, so its lease streams move first.
     */
    CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_GRACE_MS: envInt(10 * 60_000, { min: 1_000, max: 24 * 3_600_000 }),
    /**
     * Serve ExchangeBatch messages on the lease stream (many calls in one message, answered
     * together). false answers them as control planes older than batches do, with a CallError
     * for call id 0, and relays then send single calls on that stream.
     */
    CONTROL_PLANE_EXCHANGE_BATCHES: envBool(true),
    /** A lease lives this long unless renewed. */
    CONTROL_PLANE_LEASE_TTL_MS: envInt(60_000, { min: 1_000, max: 3_600_000 }),
    /**
     * Usage of released requests is written together: at the end of the tick (0), or this
     * long after the first of them. Either way, Releases that arrive while a write is in
     * flight go together in the next. Slots are freed at once, and a Release is answered once
     * its usage is written, so a wait here is a wait for callers that await Release; it buys
     * fewer, larger writes at moderate rates.
     */
    CONTROL_PLANE_USAGE_FLUSH_MS: envInt(0, { min: 0, max: 1_000 }),
    /**
     * How long a request may wait for a slot when every account that could serve it is at its
     * concurrency limit, for keys that set no bound of their own; 0 refuses at once.
     */
    CONTROL_PLANE_QUEUE_WAIT_MS: envInt(0, { min: 0, max: 600_000 }),
    /** The most requests one group's line holds; one more is refused at once. */
    CONTROL_PLANE_QUEUE_MAX_WAITERS: envInt(200, { min: 1, max: 100_000 }),
    /** How often a replica renews its waiters and looks for their turn (and at once after its own releases). */
    CONTROL_PLANE_QUEUE_POLL_MS: envInt(50, { min: 5, max: 1_000 }),
    /** A waiter its replica stopped renewing (it died) leaves the line after this long. */
    CONTROL_PLANE_QUEUE_ALIVE_MS: envInt(3_000, { min: 100, max: 60_000 }),
    /** An unused sticky-session binding lasts this long. */
    CONTROL_PLANE_STICKY_TTL_SECONDS: envInt(3_600, { min: 1, max: 30 * 24 * 3600 }),
    /** A 429 whose headers announce no usable reset blocks the account this long. */
    CONTROL_PLANE_RATE_LIMIT_DEFAULT_MS: envInt(60_000, { min: 1_000, max: 24 * 3_600_000 }),
    /** A 529 blocks the account this long. */
    CONTROL_PLANE_OVERLOAD_COOLDOWN_MS: envInt(60_000, { min: 1_000, max: 24 * 3_600_000 }),
    /** Server errors and connection failures within the window that open an account's circuit breaker. */
    CONTROL_PLANE_BREAKER_FAILURES: envInt(3, { min: 1, max: 1_000 }),
    CONTROL_PLANE_BREAKER_WINDOW_MS: envInt(300_000, { min: 1_000, max: 24 * 3_600_000 }),
    /** An open breaker lets one probe request through after this long. */
    CONTROL_PLANE_BREAKER_OPEN_MS: envInt(60_000, { min: 1_000, max: 24 * 3_600_000 }),
    /** OAuth access tokens are refreshed this long before they expire. */
    CONTROL_PLANE_OAUTH_REFRESH_AHEAD_MS: envInt(300_000, { min: 0, max: 24 * 3_600_000 }),
    /** The OAuth token endpoint of Claude accounts (refresh and code exchange); an account's own token URL wins. */
    CONTROL_PLANE_OAUTH_TOKEN_URL: envUrl(["https:", "http:"], CLAUDE_OAUTH_DEFAULTS.tokenUrl),
    /** Where an admin authorizes a subscription account (the PKCE step). */
    CONTROL_PLANE_OAUTH_AUTHORIZE_URL: envUrl(["https:", "http:"], CLAUDE_OAUTH_DEFAULTS.authorizeUrl),
    /** Where the authorization sends the browser; the default page shows the code to paste. */
    CONTROL_PLANE_OAUTH_REDIRECT_URI: envUrl(["https:", "http:"], CLAUDE_OAUTH_DEFAULTS.redirectUri),
    /** The OAuth client id (Claude Code's public client by default). */
    CONTROL_PLANE_OAUTH_CLIENT_ID: stringOr(CLAUDE_OAUTH_DEFAULTS.clientId),
    /** Scopes asked for, space-separated. */
    CONTROL_PLANE_OAUTH_SCOPES: stringOr(CLAUDE_OAUTH_DEFAULTS.scopes),
    /** Where an admin signs a Google account in for gemini-oauth (the PKCE step). */
    CONTROL_PLANE_GEMINI_OAUTH_AUTHORIZE_URL: envUrl(["https:", "http:"], GEMINI_DEFAULTS.authorizeUrl),
    /** Google's token endpoint (refresh and code exchange, form-encoded); an account's own token URL wins. */
    CONTROL_PLANE_GEMINI_OAUTH_TOKEN_URL: envUrl(["https:", "http:"], GEMINI_DEFAULTS.tokenUrl),
    /** Where the Google sign-in sends the browser; the default page (the Gemini CLI's) shows the code to paste. */
    CONTROL_PLANE_GEMINI_OAUTH_REDIRECT_URI: envUrl(["https:", "http:"], GEMINI_DEFAULTS.redirectUri),
    /** The Google OAuth client id (the Gemini CLI's public installed-app client by default). */
    CONTROL_PLANE_GEMINI_OAUTH_CLIENT_ID: stringOr(GEMINI_DEFAULTS.clientId),
    /** That client's secret (the Gemini CLI's, public for an installed app, by default). */
    CONTROL_PLANE_GEMINI_OAUTH_CLIENT_SECRET: envSecret({ optional: true }).transform((v) => v ?? new Secret(GEMINI_DEFAULTS.clientSecret)),
    /** Google scopes asked for, space-separated. */
    CONTROL_PLANE_GEMINI_OAUTH_SCOPES: stringOr(GEMINI_DEFAULTS.scopes),
    /** Base URL of gemini-oauth accounts that name none: the Code Assist API (also used to find their project). */
    CONTROL_PLANE_GEMINI_CODE_ASSIST_URL: envUrl(["https:", "http:"], GEMINI_DEFAULTS.codeAssistUrl),
    /** Base URL of gemini-api accounts that name none: the Gemini API. */
    CONTROL_PLANE_GEMINI_API_URL: envUrl(["https:", "http:"], GEMINI_DEFAULTS.apiUrl),
    /** Wait between polls of a Code Assist onboarding operation. */
    CONTROL_PLANE_GEMINI_ONBOARD_POLL_MS: envInt(5_000, { min: 10, max: 60_000 }),
    /** Polls of an onboarding operation before a new gemini-oauth account is refused. */
    CONTROL_PLANE_GEMINI_ONBOARD_MAX_POLLS: envInt(12, { min: 0, max: 120 }),
    /** Where an admin signs a ChatGPT account in for openai-oauth (the PKCE step, as Codex CLI signs in). */
    CONTROL_PLANE_OPENAI_OAUTH_AUTHORIZE_URL: envUrl(["https:", "http:"], OPENAI_DEFAULTS.authorizeUrl),
    /** OpenAI's token endpoint (code exchange form-encoded, refresh as JSON); an account's own token URL wins. */
    CONTROL_PLANE_OPENAI_OAUTH_TOKEN_URL: envUrl(["https:", "http:"], OPENAI_DEFAULTS.tokenUrl),
    /** Where the ChatGPT sign-in sends the browser: Codex CLI's local callback, whose URL the admin pastes back. */
    CONTROL_PLANE_OPENAI_OAUTH_REDIRECT_URI: envUrl(["https:", "http:"], OPENAI_DEFAULTS.redirectUri),
    /** The OpenAI OAuth client id (Codex CLI's public client by default). */
    CONTROL_PLANE_OPENAI_OAUTH_CLIENT_ID: stringOr(OPENAI_DEFAULTS.clientId),
    /** OpenAI scopes asked for, space-separated. */
    CONTROL_PLANE_OPENAI_OAUTH_SCOPES: stringOr(OPENAI_DEFAULTS.scopes),
    /** Base URL of openai-oauth accounts that name none: the Codex backend ({base}/responses). */
    CONTROL_PLANE_OPENAI_CODEX_URL: envUrl(["https:", "http:"], OPENAI_DEFAULTS.codexUrl),
    /** Base URL of openai-api accounts that name none: the OpenAI API ({base}/responses, {base}/chat/completions). */
    CONTROL_PLANE_OPENAI_API_URL: envUrl(["https:", "http:"], OPENAI_DEFAULTS.apiUrl),
    /** Name of the first admin user. */
    ADMIN_USERNAME: z.string().optional().transform((v) => v || "admin"),
    /** Password of the first admin user; generated (and shown once) when unset. */
    ADMIN_PASSWORD: envSecret({ minLength: 8, optional: true }),
    /** Failed admin sign-ins allowed per source address and per username within the window below. */
    CONTROL_PLANE_LOGIN_MAX_FAILURES: envInt(5, { min: 1, max: 1_000 }),
    /** The window of CONTROL_PLANE_LOGIN_MAX_FAILURES; a refused caller waits until its oldest failure is this old. */
    CONTROL_PLANE_LOGIN_WINDOW_SECONDS: envInt(900, { min: 1, max: 24 * 3600 }),
    /** True only behind a proxy that sets X-Forwarded-For: the admin caller's address is then taken from it. */
    CONTROL_PLANE_TRUST_PROXY: envBool(false),
    /**
     * Key usage lookups (the relay's GET /v1/key/usage, the /stats page) one client address may make at
     * once, given back evenly over the window below; counted per replica, right key or wrong.
     */
    CONTROL_PLANE_KEY_USAGE_MAX_ATTEMPTS: envInt(30, { min: 1, max: 100_000 }),
    CONTROL_PLANE_KEY_USAGE_WINDOW_SECONDS: envInt(60, { min: 1, max: 24 * 3600 }),
    /** Audit log events kept; older ones fall off. */
    CONTROL_PLANE_AUDIT_MAX_EVENTS: envInt(10_000, { min: 100, max: 1_000_000 }),
    /** Webhook notifications: an event is sent once no identical one (same type and subject) came for this long… */
    CONTROL_PLANE_NOTIFY_QUIET_MS: envInt(2_000, { min: 0, max: 600_000 }),
    /** …and this long after the first of a burst at the latest; the burst arrives as one message with its count. */
    CONTROL_PLANE_NOTIFY_FOLD_WINDOW_MS: envInt(30_000, { min: 0, max: 3_600_000 }),
    /** Tries per delivery; the waits between them double from CONTROL_PLANE_NOTIFY_RETRY_BASE_MS. */
    CONTROL_PLANE_NOTIFY_MAX_ATTEMPTS: envInt(5, { min: 1, max: 20 }),
    CONTROL_PLANE_NOTIFY_RETRY_BASE_MS: envInt(1_000, { min: 10, max: 600_000 }),
    /** A webhook call not answered within this long fails (and is retried). */
    CONTROL_PLANE_NOTIFY_TIMEOUT_MS: envInt(5_000, { min: 100, max: 60_000 }),
    /** A replica that cannot reach Redis for this long tells the webhooks itself (replica.redis_unreachable). */
    CONTROL_PLANE_NOTIFY_REDIS_GRACE_MS: envInt(10_000, { min: 0, max: 600_000 }),
    /** Folder for the generated admin password file: outside the working directory by default. */
    CONTROL_PLANE_DATA_DIR: z
      .string()
      .optional()
      .transform((v) => v || join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "claude-relay")),
    /** pino level. */
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional().transform((v) => v ?? "info"),
  })
  .superRefine((config, ctx) => {
    const metricsPort = config.CONTROL_PLANE_METRICS_PORT;
    const sameHost = (config.CONTROL_PLANE_METRICS_HOST ?? config.CONTROL_PLANE_HOST) === config.CONTROL_PLANE_HOST;
    for (const other of ["CONTROL_PLANE_HTTP_PORT", "CONTROL_PLANE_GRPC_PORT"] as const) {
      if (metricsPort !== 0 && metricsPort === config[other] && sameHost) {
        ctx.addIssue({ code: "custom", path: ["CONTROL_PLANE_METRICS_PORT"], message: `must differ from ${other}` });
      }
    }
    if ((config.CONTROL_PLANE_HTTP_TLS_CERT_FILE === undefined) !== (config.CONTROL_PLANE_HTTP_TLS_KEY_FILE === undefined)) {
      const missing = config.CONTROL_PLANE_HTTP_TLS_CERT_FILE === undefined ? "CONTROL_PLANE_HTTP_TLS_CERT_FILE" : "CONTROL_PLANE_HTTP_TLS_KEY_FILE";
      ctx.addIssue({ code: "custom", path: [missing], message: "set both CONTROL_PLANE_HTTP_TLS_CERT_FILE and CONTROL_PLANE_HTTP_TLS_KEY_FILE, or neither" });
    }
  });

/** The parsed, frozen configuration. */
export type ControlPlaneConfig = Readonly<z.output<typeof controlPlaneConfigSchema>>;

/** The providers' slice: each platform's OAuth endpoints and client, and its default base URLs. */
export function providersConfigOf(config: ControlPlaneConfig, now?: () => number): ProvidersConfig {
  return {
    claude: {
      authorizeUrl: config.CONTROL_PLANE_OAUTH_AUTHORIZE_URL,
      tokenUrl: config.CONTROL_PLANE_OAUTH_TOKEN_URL,
      redirectUri: config.CONTROL_PLANE_OAUTH_REDIRECT_URI,
      clientId: config.CONTROL_PLANE_OAUTH_CLIENT_ID,
      scopes: config.CONTROL_PLANE_OAUTH_SCOPES,
      ...(now && { now }),
    },
    gemini: {
      authorizeUrl: config.CONTROL_PLANE_GEMINI_OAUTH_AUTHORIZE_URL,
      tokenUrl: config.CONTROL_PLANE_GEMINI_OAUTH_TOKEN_URL,
      redirectUri: config.CONTROL_PLANE_GEMINI_OAUTH_REDIRECT_URI,
      clientId: config.CONTROL_PLANE_GEMINI_OAUTH_CLIENT_ID,
      clientSecret: config.CONTROL_PLANE_GEMINI_OAUTH_CLIENT_SECRET.reveal(),
      scopes: config.CONTROL_PLANE_GEMINI_OAUTH_SCOPES,
      codeAssistUrl: config.CONTROL_PLANE_GEMINI_CODE_ASSIST_URL,
      apiUrl: config.CONTROL_PLANE_GEMINI_API_URL,
      codeAssist: { pollIntervalMs: config.CONTROL_PLANE_GEMINI_ONBOARD_POLL_MS, maxPolls: config.CONTROL_PLANE_GEMINI_ONBOARD_MAX_POLLS },
      ...(now && { now }),
    },
    openai: {
      authorizeUrl: config.CONTROL_PLANE_OPENAI_OAUTH_AUTHORIZE_URL,
      tokenUrl: config.CONTROL_PLANE_OPENAI_OAUTH_TOKEN_URL,
      redirectUri: config.CONTROL_PLANE_OPENAI_OAUTH_REDIRECT_URI,
      clientId: config.CONTROL_PLANE_OPENAI_OAUTH_CLIENT_ID,
      scopes: config.CONTROL_PLANE_OPENAI_OAUTH_SCOPES,
      codexUrl: config.CONTROL_PLANE_OPENAI_CODEX_URL,
      apiUrl: config.CONTROL_PLANE_OPENAI_API_URL,
      ...(now && { now }),
    },
  };
}

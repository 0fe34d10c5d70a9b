import { ConfigError, loadConfig } from "@claude-relay/config";
import { describe, expect, it } from "vitest";
import { controlPlaneConfigSchema, providersConfigOf } from "./config.js";

const minimal = {
  REDIS_URL: "redis://127.0.0.1:6399",
  CONTROL_PLANE_INTERNAL_TOKEN: "0123456789abcdef",
  CONTROL_PLANE_ENCRYPTION_KEY: "ab".repeat(32),
};

describe("controlPlaneConfigSchema", () => {
  it("fills in the documented defaults", () => {
    const config = loadConfig(controlPlaneConfigSchema, minimal);
    expect(config).toMatchObject({
      CONTROL_PLANE_GRPC_PORT: 50051,
      CONTROL_PLANE_HTTP_PORT: 8081,
      CONTROL_PLANE_METRICS_PORT: 9465,
      CONTROL_PLANE_HOST: "127.0.0.1",
      CONTROL_PLANE_LEASE_TTL_MS: 60_000,
      CONTROL_PLANE_STICKY_TTL_SECONDS: 3600,
      CONTROL_PLANE_EXCHANGE_BATCHES: true,
      ADMIN_USERNAME: "admin",
      LOG_LEVEL: "info",
    });
    // The generated admin password lives outside the working directory.
    expect(config.CONTROL_PLANE_DATA_DIR).toMatch(/claude-relay$/);
    expect(config.CONTROL_PLANE_DATA_DIR.startsWith(process.cwd())).toBe(false);
    expect(config.ADMIN_PASSWORD).toBeUndefined();
    // Unset: the operator port listens where the admin port does.
    expect(config.CONTROL_PLANE_METRICS_HOST).toBeUndefined();
    expect(config.CONTROL_PLANE_INTERNAL_TOKEN.reveal()).toBe("0123456789abcdef");
  });

  it("reports every problem at once without echoing a secret", () => {
    let error: unknown;
    try {
      loadConfig(controlPlaneConfigSchema, { CONTROL_PLANE_INTERNAL_TOKEN: "short-token", CONTROL_PLANE_ENCRYPTION_KEY: "not-a-key-value" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).problems.join("\n");
    expect(text).toMatch(/REDIS_URL: is required/);
    expect(text).toMatch(/CONTROL_PLANE_INTERNAL_TOKEN: must be at least 16 characters/);
    expect(text).toMatch(/CONTROL_PLANE_ENCRYPTION_KEY: the encryption key must be 64 hex characters/);
    expect(text).not.toContain("short-token");
    expect(text).not.toContain("not-a-key-value");
  });

  it("refuses the admin or gRPC port as the operator port, unless they listen on different interfaces", () => {
    const on = (port: string, extra: Record<string, string> = {}) => () => loadConfig(controlPlaneConfigSchema, { ...minimal, CONTROL_PLANE_METRICS_PORT: port, ...extra });
    expect(on("8081")).toThrow(/CONTROL_PLANE_METRICS_PORT: must differ from CONTROL_PLANE_HTTP_PORT/);
    expect(on("50051")).toThrow(/CONTROL_PLANE_METRICS_PORT: must differ from CONTROL_PLANE_GRPC_PORT/);
    expect(on("8081", { CONTROL_PLANE_HOST: "0.0.0.0", CONTROL_PLANE_METRICS_HOST: "127.0.0.1" })().CONTROL_PLANE_METRICS_PORT).toBe(8081);
    expect(on("0", { CONTROL_PLANE_HTTP_PORT: "0" })().CONTROL_PLANE_METRICS_PORT).toBe(0);
  });

  it("takes the admin port's certificate and key together or not at all", () => {
    expect(loadConfig(controlPlaneConfigSchema, { ...minimal, CONTROL_PLANE_HTTP_TLS_CERT_FILE: "/tls/cert.pem", CONTROL_PLANE_HTTP_TLS_KEY_FILE: "/tls/key.pem" })).toMatchObject({
      CONTROL_PLANE_HTTP_TLS_CERT_FILE: "/tls/cert.pem",
      CONTROL_PLANE_HTTP_TLS_KEY_FILE: "/tls/key.pem",
    });
    expect(() => loadConfig(controlPlaneConfigSchema, { ...minimal, CONTROL_PLANE_HTTP_TLS_CERT_FILE: "/tls/cert.pem" })).toThrow(/CONTROL_PLANE_HTTP_TLS_KEY_FILE: set both/);
  });
});

describe("controlPlaneConfigSchema, Redis Cluster", () => {
  it("accepts a redis+cluster:// URL and a list of seed nodes, and refuses a malformed list", () => {
    const config = loadConfig(controlPlaneConfigSchema, { ...minimal, REDIS_URL: "redis+cluster://10.0.0.1:7000", REDIS_CLUSTER_NODES: "10.0.0.2:7001,10.0.0.3:7002" });
    expect(config.REDIS_URL).toBe("redis+cluster://10.0.0.1:7000");
    expect(config.REDIS_CLUSTER_NODES).toBe("10.0.0.2:7001,10.0.0.3:7002");
    expect(loadConfig(controlPlaneConfigSchema, minimal).REDIS_CLUSTER_NODES).toBe("");
    expect(() => loadConfig(controlPlaneConfigSchema, { ...minimal, REDIS_CLUSTER_NODES: "10.0.0.2" })).toThrow(/REDIS_CLUSTER_NODES: must be host:port/);
  });
});

describe("controlPlaneConfigSchema, Gemini", () => {
  it("defaults to Google's endpoints and the Gemini CLI's public client, and takes each from the environment", () => {
    const defaults = loadConfig(controlPlaneConfigSchema, minimal);
    expect(defaults).toMatchObject({
      CONTROL_PLANE_GEMINI_OAUTH_AUTHORIZE_URL: "https://accounts.google.com/o/oauth2/v2/auth",
      CONTROL_PLANE_GEMINI_OAUTH_TOKEN_URL: "https://oauth2.googleapis.com/token",
      CONTROL_PLANE_GEMINI_OAUTH_REDIRECT_URI: "https://codeassist.google.com/authcode",
      CONTROL_PLANE_GEMINI_OAUTH_CLIENT_ID: "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com",
      CONTROL_PLANE_GEMINI_CODE_ASSIST_URL: "https://cloudcode-pa.googleapis.com",
      CONTROL_PLANE_GEMINI_API_URL: "https://generativelanguage.googleapis.com",
      CONTROL_PLANE_GEMINI_ONBOARD_POLL_MS: 5_000,
      CONTROL_PLANE_GEMINI_ONBOARD_MAX_POLLS: 12,
    });
    expect(defaults.CONTROL_PLANE_GEMINI_OAUTH_CLIENT_SECRET.reveal()).toMatch(/^GOCSPX-/);
    expect(String(defaults.CONTROL_PLANE_GEMINI_OAUTH_CLIENT_SECRET)).not.toMatch(/GOCSPX/);

    const own = loadConfig(controlPlaneConfigSchema, {
      ...minimal,
      CONTROL_PLANE_GEMINI_OAUTH_TOKEN_URL: "http://127.0.0.1:4000/token",
      CONTROL_PLANE_GEMINI_CODE_ASSIST_URL: "http://127.0.0.1:4000",
      CONTROL_PLANE_GEMINI_OAUTH_CLIENT_ID: "own-client",
      CONTROL_PLANE_GEMINI_OAUTH_CLIENT_SECRET: "own-secret",
    });
    const providers = providersConfigOf(own);
    expect(providers.gemini).toMatchObject({ tokenUrl: "http://127.0.0.1:4000/token", codeAssistUrl: "http://127.0.0.1:4000", clientId: "own-client", clientSecret: "own-secret" });
    expect(providers.claude).toMatchObject({ tokenUrl: "https://console.anthropic.com/v1/oauth/token", clientId: "9d1c250a-e61b-44d9-88ed-5944d1962f5e" });
    expect(() => loadConfig(controlPlaneConfigSchema, { ...minimal, CONTROL_PLANE_GEMINI_CODE_ASSIST_URL: "ftp://x" })).toThrow(/CONTROL_PLANE_GEMINI_CODE_ASSIST_URL/);
  });
});

describe("controlPlaneConfigSchema, OpenAI", () => {
  it("defaults to OpenAI's endpoints and Codex CLI's public client, and takes each from the environment", () => {
    expect(loadConfig(controlPlaneConfigSchema, minimal)).toMatchObject({
      CONTROL_PLANE_OPENAI_OAUTH_AUTHORIZE_URL: "https://auth.openai.com/oauth/authorize",
      CONTROL_PLANE_OPENAI_OAUTH_TOKEN_URL: "https://auth.openai.com/oauth/token",
      CONTROL_PLANE_OPENAI_OAUTH_REDIRECT_URI: "http://localhost:1455/auth/callback",
      CONTROL_PLANE_OPENAI_OAUTH_CLIENT_ID: "app_EMoamEEZ73f0CkXaXp7hrann",
      CONTROL_PLANE_OPENAI_OAUTH_SCOPES: "openid profile email offline_access",
      CONTROL_PLANE_OPENAI_CODEX_URL: "https://chatgpt.com/backend-api/codex",
      CONTROL_PLANE_OPENAI_API_URL: "https://api.openai.com/v1",
    });

    const own = loadConfig(controlPlaneConfigSchema, {
      ...minimal,
      CONTROL_PLANE_OPENAI_OAUTH_AUTHORIZE_URL: "http://127.0.0.1:4100/oauth/authorize",
      CONTROL_PLANE_OPENAI_OAUTH_TOKEN_URL: "http://127.0.0.1:4100/oauth/token",
      CONTROL_PLANE_OPENAI_CODEX_URL: "http://127.0.0.1:4100/backend-api/codex",
      CONTROL_PLANE_OPENAI_API_URL: "http://127.0.0.1:4100/v1",
    });
    expect(providersConfigOf(own).openai).toMatchObject({
      authorizeUrl: "http://127.0.0.1:4100/oauth/authorize",
      tokenUrl: "http://127.0.0.1:4100/oauth/token",
      codexUrl: "http://127.0.0.1:4100/backend-api/codex",
      apiUrl: "http://127.0.0.1:4100/v1",
      clientId: "app_EMoamEEZ73f0CkXaXp7hrann",
    });
    expect(() => loadConfig(controlPlaneConfigSchema, { ...minimal, CONTROL_PLANE_OPENAI_CODEX_URL: "ftp://x" })).toThrow(/CONTROL_PLANE_OPENAI_CODEX_URL/);
  });
});

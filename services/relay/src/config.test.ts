import { ConfigError, loadConfig } from "@claude-relay/config";
import { describe, expect, it } from "vitest";
import { relayConfigSchema } from "./config.js";

const TOKEN = "a-long-enough-internal-token";

describe("relayConfigSchema", () => {
  it("applies the documented defaults", () => {
    const config = loadConfig(relayConfigSchema, { RELAY_INTERNAL_TOKEN: TOKEN });
    expect(config).toMatchObject({
      RELAY_PORT: 8080,
      RELAY_HOST: "127.0.0.1",
      RELAY_METRICS_PORT: 9464,
      RELAY_CONTROL_PLANE_URL: "dns:///127.0.0.1:50051",
      RELAY_MAX_BODY_BYTES: 32 * 1024 * 1024,
      RELAY_STREAM_IDLE_TIMEOUT_MS: 300_000,
      RELAY_POOL_CONNECTIONS: 512,
      RELAY_POOL_IDLE_EVICT_MS: 300_000,
      RELAY_POOL_DEAD_AFTER_FAILURES: 3,
      RELAY_POOL_PROBE_INTERVAL_MS: 5_000,
      RELAY_WARM_ORIGINS: [],
      RELAY_CLIENT_PING_INTERVAL_MS: 0,
      RELAY_MAX_ATTEMPTS: 2,
      RELAY_DRAIN_MS: 30_000,
      RELAY_CONTROL_PLANE_BATCH_MAX_CALLS: 0,
      LOG_LEVEL: "info",
    });
    expect(config.RELAY_INTERNAL_TOKEN.reveal()).toBe(TOKEN);
    // Unset: the operator port listens where the client port does.
    expect(config.RELAY_METRICS_HOST).toBeUndefined();
  });

  it("accepts the grpc-js target forms", () => {
    for (const target of ["dns:///control-plane.ns.svc:50051", "dns://10.0.0.2:53/cp:50051", "ipv4:10.0.0.1:50051,10.0.0.2:50051", "unix:/run/cp.sock", "cp:50051"]) {
      expect(loadConfig(relayConfigSchema, { RELAY_INTERNAL_TOKEN: TOKEN, RELAY_CONTROL_PLANE_URL: target }).RELAY_CONTROL_PLANE_URL).toBe(target);
    }
  });

  it("reports every problem at once without echoing the token", () => {
    let error: unknown;
    try {
      loadConfig(relayConfigSchema, {
        RELAY_INTERNAL_TOKEN: "short-secret",
        RELAY_CONTROL_PLANE_URL: "http://cp:50051",
        RELAY_PORT: "70000",
        LOG_LEVEL: "chatty",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toMatch(/RELAY_INTERNAL_TOKEN: must be at least 16 characters/);
    expect(problems).toMatch(/RELAY_CONTROL_PLANE_URL: expected a gRPC target/);
    expect(problems).toMatch(/RELAY_PORT/);
    expect(problems).toMatch(/LOG_LEVEL/);
    expect(problems).not.toContain("short-secret");
  });

  it("requires the internal token", () => {
    expect(() => loadConfig(relayConfigSchema, {})).toThrow(/RELAY_INTERNAL_TOKEN: is required/);
  });

  it("reads the warm-up origins from a comma list, once each", () => {
    const config = loadConfig(relayConfigSchema, {
      RELAY_INTERNAL_TOKEN: TOKEN,
      RELAY_WARM_ORIGINS: " https://api.anthropic.com/v1 , http://127.0.0.1:8081,https://api.anthropic.com,",
    });
    expect(config.RELAY_WARM_ORIGINS).toEqual(["https://api.anthropic.com", "http://127.0.0.1:8081"]);
    expect(() => loadConfig(relayConfigSchema, { RELAY_INTERNAL_TOKEN: TOKEN, RELAY_WARM_ORIGINS: "ftp://files" })).toThrow(/RELAY_WARM_ORIGINS/);
  });

  it("refuses a ping interval that the stream idle timeout would cut first", () => {
    expect(() =>
      loadConfig(relayConfigSchema, { RELAY_INTERNAL_TOKEN: TOKEN, RELAY_CLIENT_PING_INTERVAL_MS: "5000", RELAY_STREAM_IDLE_TIMEOUT_MS: "5000" }),
    ).toThrow(/RELAY_CLIENT_PING_INTERVAL_MS: must be shorter than RELAY_STREAM_IDLE_TIMEOUT_MS/);
    expect(loadConfig(relayConfigSchema, { RELAY_INTERNAL_TOKEN: TOKEN, RELAY_CLIENT_PING_INTERVAL_MS: "15000" }).RELAY_CLIENT_PING_INTERVAL_MS).toBe(15_000);
  });

  it("refuses a headers timeout longer than the request timeout", () => {
    expect(() =>
      loadConfig(relayConfigSchema, { RELAY_INTERNAL_TOKEN: TOKEN, RELAY_HEADERS_TIMEOUT_MS: "5000", RELAY_REQUEST_TIMEOUT_MS: "1000" }),
    ).toThrow(/RELAY_HEADERS_TIMEOUT_MS: must not exceed RELAY_REQUEST_TIMEOUT_MS/);
  });

  it("refuses the client port as the operator port, unless they listen on different interfaces", () => {
    const env = { RELAY_INTERNAL_TOKEN: TOKEN, RELAY_PORT: "9000", RELAY_METRICS_PORT: "9000" };
    expect(() => loadConfig(relayConfigSchema, env)).toThrow(/RELAY_METRICS_PORT: must differ from RELAY_PORT/);
    expect(() => loadConfig(relayConfigSchema, { ...env, RELAY_METRICS_HOST: "127.0.0.1" })).toThrow(/RELAY_METRICS_PORT/);
    expect(loadConfig(relayConfigSchema, { ...env, RELAY_HOST: "0.0.0.0", RELAY_METRICS_HOST: "127.0.0.1" }).RELAY_METRICS_PORT).toBe(9000);
    // Both 0: two different free ports.
    expect(loadConfig(relayConfigSchema, { ...env, RELAY_PORT: "0", RELAY_METRICS_PORT: "0" }).RELAY_METRICS_PORT).toBe(0);
  });
});

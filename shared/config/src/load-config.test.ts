import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { envBool, envInt, envSecret, envUrl } from "./env.js";
import { ConfigError, loadConfig } from "./load-config.js";
import { Secret } from "./secret.js";

const schema = z.object({
  PORT: envInt(8080, { min: 0, max: 65535 }),
  DEBUG: envBool(false),
  REDIS_URL: envUrl(["redis:", "rediss:"], "redis://127.0.0.1:6379"),
  TOKEN: envSecret({ minLength: 8 }),
});

describe("loadConfig", () => {
  it("applies defaults and parses values", () => {
    const config = loadConfig(schema, { TOKEN: "abcdefgh", DEBUG: "yes" });
    expect(config.PORT).toBe(8080);
    expect(config.DEBUG).toBe(true);
    expect(config.REDIS_URL).toBe("redis://127.0.0.1:6379");
    expect(config.TOKEN.reveal()).toBe("abcdefgh");
  });

  it("reports every problem at once and never echoes a secret", () => {
    let error: unknown;
    try {
      loadConfig(schema, { PORT: "99999", DEBUG: "maybe", REDIS_URL: "http://x", TOKEN: "short" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toMatch(/PORT: expected an integer from 0 to 65535/);
    expect(problems.join("\n")).toMatch(/DEBUG: expected a boolean/);
    expect(problems.join("\n")).toMatch(/REDIS_URL: must use redis: or rediss:/);
    expect(problems.join("\n")).toMatch(/TOKEN: must be at least 8 characters/);
    expect((error as Error).message).not.toContain("short");
  });

  it("freezes the result", () => {
    const config = loadConfig(schema, { TOKEN: "abcdefgh" });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { PORT: number }).PORT = 1;
    }).toThrow();
  });
});

describe("Secret", () => {
  it("prints as [redacted] everywhere", () => {
    const secret = new Secret("sk-very-secret");
    expect(String(secret)).toBe("[redacted]");
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
    expect(inspect({ secret })).not.toContain("sk-very-secret");
    expect(`${secret}`).toBe("[redacted]");
  });
});

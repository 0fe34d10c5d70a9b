/**
 * Zod helpers for environment variables, which always arrive as strings.
 */
import { z } from "zod";
import { Secret } from "./secret.js";

/** "true"/"1"/"yes"/"on" and "false"/"0"/"no"/"off", any case. */
export function envBool(defaultValue: boolean) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === "") return defaultValue;
      const value = raw.trim().toLowerCase();
      if (["true", "1", "yes", "on"].includes(value)) return true;
      if (["false", "0", "no", "off"].includes(value)) return false;
      ctx.addIssue({ code: "custom", message: `expected a boolean (true/false), got "${raw}"` });
      return z.NEVER;
    });
}

/** A non-negative integer, e.g. a port, a count or a duration in a unit the name carries. */
export function envInt(defaultValue: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === "") return defaultValue;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max) {
        ctx.addIssue({ code: "custom", message: `expected an integer from ${min} to ${max}, got "${raw}"` });
        return z.NEVER;
      }
      return value;
    });
}

/** A URL with one of the given protocols (e.g. ["redis:", "rediss:"]). */
export function envUrl(protocols: readonly string[], defaultValue?: string) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const value = raw === undefined || raw === "" ? defaultValue : raw;
      if (value === undefined) {
        ctx.addIssue({ code: "custom", message: "is required" });
        return z.NEVER;
      }
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({ code: "custom", message: "is not a valid URL" });
        return z.NEVER;
      }
      if (!protocols.includes(url.protocol)) {
        ctx.addIssue({ code: "custom", message: `must use ${protocols.join(" or ")}` });
        return z.NEVER;
      }
      return value;
    });
}

/** A string wrapped in a Secret; `minLength` guards against placeholder values. */
export function envSecret({ minLength = 1, optional = false } = {}) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === "") {
        if (optional) return undefined;
        ctx.addIssue({ code: "custom", message: "is required" });
        return z.NEVER;
      }
      if (raw.length < minLength) {
        ctx.addIssue({ code: "custom", message: `must be at least ${minLength} characters` });
        return z.NEVER;
      }
      return new Secret(raw);
    });
}

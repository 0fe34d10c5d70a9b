/**
 * The control plane's environment, parsed once in main.ts by loadConfig.
 * Secrets arrive as Secret values; the encryption key's format is checked here
 * so a bad one stops the process at start, reported with every other problem.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { envInt, envSecret, envUrl, type Secret } from "@claude-relay/config";
import { parseEncryptionKey } from "./accounts/credential-cipher.js";

/** A secret that must be set; envSecret without `optional` never yields undefined. */
function requiredSecret(minLength: number) {
  return envSecret({ minLength }).transform((secret) => secret as Secret);
}

/** The env schema of the control plane. */
export const controlPlaneConfigSchema = z
  .object({
    /** Port of the lease service (gRPC, for the relay). */
    CONTROL_PLANE_GRPC_PORT: envInt(50051, { max: 65535 }),
    /** Port of the admin API, health endpoints and /metrics (HTTP/1.1). */
    CONTROL_PLANE_HTTP_PORT: envInt(8081, { max: 65535 }),
    /** Interface both servers bind; 0.0.0.0 in containers. */
    CONTROL_PLANE_HOST: z.string().optional().transform((v) => v || "127.0.0.1"),
    /** The Redis that holds all state. */
    REDIS_URL: envUrl(["redis:", "rediss:"]),
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
    /** A lease lives this long unless renewed. */
    CONTROL_PLANE_LEASE_TTL_MS: envInt(60_000, { min: 1_000, max: 3_600_000 }),
    /** An unused sticky-session binding lasts this long. */
    CONTROL_PLANE_STICKY_TTL_SECONDS: envInt(3_600, { min: 1, max: 30 * 24 * 3600 }),
    /** Name of the first admin user. */
    ADMIN_USERNAME: z.string().optional().transform((v) => v || "admin"),
    /** Password of the first admin user; generated (and shown once) when unset. */
    ADMIN_PASSWORD: envSecret({ minLength: 8, optional: true }),
    /** Folder for the generated admin password file: outside the working directory by default. */
    CONTROL_PLANE_DATA_DIR: z
      .string()
      .optional()
      .transform((v) => v || join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "claude-relay")),
    /** pino level. */
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional().transform((v) => v ?? "info"),
  });

/** The parsed, frozen configuration. */
export type ControlPlaneConfig = Readonly<z.output<typeof controlPlaneConfigSchema>>;

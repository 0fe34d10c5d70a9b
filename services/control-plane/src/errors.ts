/**
 * The one map from failures to status codes at the control plane's edges:
 * gRPC statuses for the lease service, Connect codes for the admin API.
 * Refusals never come here; they are values in AcquireResponse. Messages of
 * INTERNAL and UNAVAILABLE are generic; the cause goes to the log only.
 */
import { Code } from "@connectrpc/connect";
import { status } from "@grpc/grpc-js";

/** Thrown by an edge when a call's fields are out of bounds. */
export class InvalidRequestError extends Error {
  readonly code = "ERR_INVALID_REQUEST";
  constructor(message: string) {
    super(message);
    this.name = "InvalidRequestError";
  }
}

/** What went wrong, independent of the transport. */
export type FailureKind = "invalid-argument" | "unavailable" | "internal";

/** Codes of our errors whose message is safe to return: the caller sent something wrong. */
const INVALID_ARGUMENT_CODES = new Set(["ERR_INVALID_REQUEST", "ERR_LEASE_ID", "ERR_INVALID_ACCOUNT", "ERR_INVALID_API_KEY", "ERR_INVALID_MODEL_ALIAS"]);
/** Network-level failures of the Redis connection. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "EAI_AGAIN"]);
/** ioredis messages while it has no usable connection. */
const CONNECTION_MESSAGES = [/^Connection is closed/, /^Command timed out/, /^Stream isn't writeable/, /^Reached the max retries per request limit/];
/** Redis replies that mean "not now" rather than "wrong". */
const TRANSIENT_REPLIES = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS)\b/;

/** True when Redis could not be reached or answered that it cannot serve now. */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const { code } = err as NodeJS.ErrnoException;
  if (err.name === "MaxRetriesPerRequestError" || (code && NETWORK_CODES.has(code))) return true;
  if (CONNECTION_MESSAGES.some((re) => re.test(err.message))) return true;
  return err.name === "ReplyError" && TRANSIENT_REPLIES.test(err.message);
}

/** True for any failure that came from Redis (unavailable, or an error reply). */
export function isRedisFailure(err: unknown): boolean {
  return isRedisUnavailable(err) || (err instanceof Error && err.name === "ReplyError");
}

/** Classifies a thrown value. */
export function classifyFailure(err: unknown): FailureKind {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && INVALID_ARGUMENT_CODES.has(code)) return "invalid-argument";
  if (isRedisUnavailable(err)) return "unavailable";
  return "internal";
}

/** The gRPC status and client-safe details for a thrown value. */
export function toGrpcStatus(err: unknown): { code: status; details: string } {
  const kind = classifyFailure(err);
  switch (kind) {
    case "invalid-argument":
      return { code: status.INVALID_ARGUMENT, details: (err as Error).message };
    case "unavailable":
      return { code: status.UNAVAILABLE, details: "the control plane's state store is unavailable" };
    case "internal":
      return { code: status.INTERNAL, details: "internal error" };
    default:
      return assertNever(kind);
  }
}

/** The Connect code for a thrown value (admin API). */
export function toConnectCode(err: unknown): Code {
  const kind = classifyFailure(err);
  switch (kind) {
    case "invalid-argument":
      return Code.InvalidArgument;
    case "unavailable":
      return Code.Unavailable;
    case "internal":
      return Code.Internal;
    default:
      return assertNever(kind);
  }
}

/** Compile-time exhaustiveness for switches over unions. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}

/**
 * GET /v1/key/usage: a key holder's report on their own key (usage, limits and
 * what is left of them), asked with the key itself, from curl or a script.
 * The control plane builds the report (GetKeyUsage) and answers it as JSON,
 * which passes through unchanged.
 *
 * This route skips the key gate on purpose: the gate answers a refused key
 * from its cache, with the reason the control plane gave, while here every
 * attempt must reach the control plane's limit per client address, and every
 * wrong key, unknown, disabled, revoked or expired, must get the one answer
 * `invalid x-api-key`. Errors take the shape of the front door that owns the
 * path (Anthropic's): 401, 429 with retry-after, 503 when the control plane
 * cannot be reached.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "@claude-relay/logging";
import { RefusalReason } from "@claude-relay/proto/lease";
import type { LeaseClient } from "../control-plane/lease-client.js";
import { type RelayFailure, writeErrorResponse } from "../errors.js";
import { clientKeyHash, discardBody } from "../http/read-body.js";
import type { RelayProvider } from "../providers/provider.js";

/** Where the report is served. */
export const KEY_USAGE_PATH = "/v1/key/usage";

/** Options of createKeyUsageHandler. */
export interface KeyUsageHandlerOptions {
  leases: Pick<LeaseClient, "keyUsage">;
  /** Believe the last X-Forwarded-For entry for the client's address (only behind a proxy that sets it). */
  trustProxy: boolean;
  log: Logger;
}

/** Answers one GET /v1/key/usage in `provider`'s shape; resolves to the status written (499 when the client left). */
export type KeyUsageHandler = (req: IncomingMessage, res: ServerResponse, requestId: string, provider: RelayProvider) => Promise<number>;

const INVALID_KEY: RelayFailure = { kind: "refusal", reason: RefusalReason.KEY_INVALID, message: "invalid x-api-key", retryAfterMs: 0 };

/** Builds the handler. */
export function createKeyUsageHandler(options: KeyUsageHandlerOptions): KeyUsageHandler {
  const { leases, log } = options;
  return async (req, res, requestId, provider) => {
    const fail = (failure: RelayFailure) => writeErrorResponse(res, provider.errorResponse(failure, requestId));
    if (!(await discardBody(req))) return 499;
    const key = provider.clientKey(req);
    if (key === undefined) return fail({ kind: "missing-key" });
    let answer: Awaited<ReturnType<LeaseClient["keyUsage"]>>;
    try {
      answer = await leases.keyUsage(clientKeyHash(req, key), clientAddress(req, options.trustProxy));
    } catch (error) {
      if ((error as { code?: unknown }).code === "ERR_CONTROL_PLANE_UNAVAILABLE") return fail({ kind: "control-plane-unavailable" });
      log.error({ err: error, requestId }, "key usage lookup failed");
      return fail({ kind: "internal" });
    }
    const { result } = answer;
    if (result.case === "reportJson") {
      if (res.headersSent || res.destroyed) return 499;
      res.writeHead(200, {
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(result.value)),
        "cache-control": "no-store",
        "request-id": requestId,
      });
      res.end(result.value);
      return 200;
    }
    if (result.case === "refusal" && result.value.reason === RefusalReason.KEY_LIMIT) {
      const { reason, message, retryAfterMs } = result.value;
      return fail({ kind: "refusal", reason, message, retryAfterMs });
    }
    // Any other refusal says only that this key cannot be used, in the same words for every key.
    return fail(result.case === "refusal" ? INVALID_KEY : { kind: "internal" });
  };
}

/**
 * The address the control plane limits attempts by: the socket's peer, or behind a trusted proxy the
 * last X-Forwarded-For entry (the one that proxy appended; earlier ones are whatever the client sent).
 */
export function clientAddress(req: Pick<IncomingMessage, "headers" | "socket">, trustProxy: boolean): string {
  const forwarded = req.headers["x-forwarded-for"];
  if (trustProxy && forwarded !== undefined) {
    const hops = [forwarded].flat().join(",").split(",").map((hop) => hop.trim()).filter((hop) => hop !== "");
    const last = hops[hops.length - 1];
    if (last !== undefined) return last.slice(0, 100);
  }
  return (req.socket.remoteAddress ?? "").slice(0, 100);
}

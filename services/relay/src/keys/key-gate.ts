/**
 * Authentication before anything else: a request's key, read from where its
 * front door's clients send it (never the body), is judged before the body is
 * read or anything about the request is checked, so a client without a valid
 * key learns nothing about validation, routes or limits, and pays for nothing.
 * A refused key gets the front door's 401 after the body is drained (so the
 * client reads the answer instead of a reset).
 *
 * The gate lets a request through when it cannot tell: no key at all (the
 * route answers that as it always did) or no verdict (the control plane is
 * unreachable or does not answer CheckKey), and Acquire decides as before.
 * Verdicts come from key-verdicts.ts.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { RefusalReason } from "@claude-relay/proto/lease";
import { writeErrorResponse } from "../errors.js";
import { clientKeyHash, discardBody } from "../http/read-body.js";
import type { RelayProvider } from "../providers/provider.js";
import type { KeyVerdicts } from "./key-verdicts.js";

/** What the gate decided: go on (with the key's id when it was accepted), or the request was answered. */
export type GateResult = { admitted: true; keyId?: string } | { admitted: false; status: number };

/** The gate in front of every route. */
export interface KeyGate {
  /** Judges the request's key; on a refusal, drains the body and writes the front door's 401 (status 499 when the client left first). */
  admit(req: IncomingMessage, res: ServerResponse, requestId: string, provider: RelayProvider): Promise<GateResult>;
  /** Acquire refused this key as KEY_INVALID: its next request asks the control plane again. */
  refused(keyHash: string): void;
}

/** Creates the gate over a verdict cache. */
export function createKeyGate(verdicts: KeyVerdicts): KeyGate {
  return {
    async admit(req, res, requestId, provider) {
      const key = provider.clientKey(req);
      if (key === undefined) return { admitted: true };
      const verdict = await verdicts.verdict(clientKeyHash(req, key));
      if (verdict.kind === "unchecked") return { admitted: true };
      if (verdict.kind === "accepted") return { admitted: true, keyId: verdict.keyId };
      if (!(await discardBody(req))) return { admitted: false, status: 499 };
      const failure = { kind: "refusal", reason: RefusalReason.KEY_INVALID, message: verdict.message, retryAfterMs: 0 } as const;
      return { admitted: false, status: writeErrorResponse(res, provider.errorResponse(failure, requestId)) };
    },
    refused(keyHash) {
      verdicts.forget(keyHash);
    },
  };
}

/**
 * Release: frees a lease on both owners and counts its usage, in one round
 * trip. A lease that already expired is still counted (its tokens were spent)
 * and is not an error. Account health from the outcome comes later; for now the
 * outcome is logged, at info only when something went wrong.
 */
import type { Logger } from "@claude-relay/logging";
import { OutcomeKind } from "@claude-relay/proto/lease";
import { parseLeaseId } from "./lease-id.js";
import type { LeaseStore, LeaseUsage } from "./lease-store.js";

/** One Release call. */
export interface ReleaseInput {
  leaseId: string;
  outcome: OutcomeKind;
  /** Upstream HTTP status; 0 when there was no response. */
  status: number;
  /** Secret-free description of a failure. */
  detail: string;
  usage: LeaseUsage;
  model: string;
  latencyMs: number;
  ttfbMs: number;
}

/** What Release found. */
export interface ReleaseResult {
  /** False when the lease had expired or was released before. */
  held: boolean;
}

/** Builds Release; a malformed lease id throws LeaseIdError. */
export function createReleaseLease(deps: { leases: LeaseStore; log: Logger }): (input: ReleaseInput) => Promise<ReleaseResult> {
  const { leases, log } = deps;
  return async function releaseLease(input) {
    const { leaseId, accountId, keyId } = parseLeaseId(input.leaseId);
    const held = await leases.release(
      leaseId,
      [
        { kind: "account", id: accountId },
        { kind: "key", id: keyId },
      ],
      input.usage,
    );
    const fields = {
      leaseId,
      accountId,
      keyId,
      outcome: OutcomeKind[input.outcome] ?? String(input.outcome),
      status: input.status,
      held,
      latencyMs: input.latencyMs,
    };
    if (input.outcome === OutcomeKind.SUCCESS || input.outcome === OutcomeKind.CLIENT_ABORTED) log.debug(fields, "lease released");
    else log.info({ ...fields, detail: input.detail.slice(0, 200) }, "lease released after a failure");
    return { held };
  };
}

/**
 * Renew: extends a lease on both of its owners. The lease id names them, so
 * this costs one round trip and no lookup.
 */
import { parseLeaseId } from "./lease-id.js";
import type { LeaseStore } from "./lease-store.js";

/** Renewed with the new TTL, or not held any more (expired, released or never issued). */
export type RenewResult = { ok: true; ttlMs: number } | { ok: false; reason: "NOT_FOUND" };

/** Builds Renew; a malformed lease id throws LeaseIdError. */
export function createRenewLease(deps: { leases: LeaseStore }): (leaseId: string) => Promise<RenewResult> {
  const { leases } = deps;
  return async function renewLease(leaseId) {
    const { accountId, keyId } = parseLeaseId(leaseId);
    const renewed = await leases.renew(leaseId, [
      { kind: "account", id: accountId },
      { kind: "key", id: keyId },
    ]);
    return renewed ? { ok: true, ttlMs: leases.ttlMs } : { ok: false, reason: "NOT_FOUND" };
  };
}

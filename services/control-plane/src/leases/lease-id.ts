/**
 * Lease ids carry what Renew and Release need (the account id, the key id and
 * a random part), so neither needs a lookup. The relay treats them as opaque.
 * Format: `<accountId>.<keyId>.<random>`; ids are ours and never contain a dot.
 */
import { randomBytes } from "node:crypto";

/** The owners a lease holds a slot on. */
export interface LeaseRef {
  leaseId: string;
  accountId: string;
  keyId: string;
}

const PART = /^[A-Za-z0-9_-]{1,64}$/;

/** Thrown by parseLeaseId when a lease id is not one we could have issued. */
export class LeaseIdError extends Error {
  readonly code = "ERR_LEASE_ID";
  constructor() {
    super("malformed lease id");
    this.name = "LeaseIdError";
  }
}

/** A fresh lease id on this account and key. */
export function formatLeaseId(accountId: string, keyId: string): string {
  if (!PART.test(accountId) || !PART.test(keyId)) throw new LeaseIdError();
  return `${accountId}.${keyId}.${randomBytes(12).toString("base64url")}`;
}

/** Splits a lease id; throws LeaseIdError when it is malformed. */
export function parseLeaseId(leaseId: string): LeaseRef {
  const parts = leaseId.split(".");
  if (parts.length !== 3 || !parts.every((p) => PART.test(p))) throw new LeaseIdError();
  const [accountId = "", keyId = ""] = parts;
  return { leaseId, accountId, keyId };
}

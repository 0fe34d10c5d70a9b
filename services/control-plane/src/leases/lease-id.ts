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
const RANDOM_BYTES = 12;
/** Random parts drawn from one call into the CSPRNG: a call per id cost about 2% of the control plane's CPU under load. */
const POOL_IDS = 256;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** The next 12 random bytes, base64url: each id's own, never reused. */
function randomPart(): string {
  if (poolOffset + RANDOM_BYTES > pool.length) {
    pool = randomBytes(RANDOM_BYTES * POOL_IDS);
    poolOffset = 0;
  }
  const part = pool.toString("base64url", poolOffset, poolOffset + RANDOM_BYTES);
  poolOffset += RANDOM_BYTES;
  return part;
}

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
  return `${accountId}.${keyId}.${randomPart()}`;
}

/** Splits a lease id; throws LeaseIdError when it is malformed. */
export function parseLeaseId(leaseId: string): LeaseRef {
  const parts = leaseId.split(".");
  if (parts.length !== 3 || !parts.every((p) => PART.test(p))) throw new LeaseIdError();
  const [accountId = "", keyId = ""] = parts;
  return { leaseId, accountId, keyId };
}

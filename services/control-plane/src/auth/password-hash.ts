/**
 * Admin password hashing with scrypt (node:crypto). The stored form carries its
 * own parameters and salt, `scrypt$<logN>$<r>$<p>$<salt>$<hash>` (base64url), so
 * the cost can be raised later without invalidating existing hashes.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/** scrypt cost parameters; N = 2^logN. */
export interface ScryptParams {
  logN: number;
  r: number;
  p: number;
}

/** 2^15 × 8 × 128 bytes = 32 MiB per hash, about 50–100 ms on one core. */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { logN: 15, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const PREFIX = "scrypt";

/** Thrown by verifyPassword when a stored hash is not in the format hashPassword writes. */
export class PasswordHashFormatError extends Error {
  readonly code = "ERR_PASSWORD_HASH_FORMAT";
  constructor() {
    super("stored password hash is malformed");
    this.name = "PasswordHashFormatError";
  }
}

/** Hashes a password with a fresh random salt; the result embeds the parameters. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, params);
  return [PREFIX, params.logN, params.r, params.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** True when `password` matches `stored`; the comparison is constant-time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const { params, salt, key } = parse(stored);
  const candidate = await derive(password, salt, key.length, params);
  return timingSafeEqual(candidate, key);
}

function parse(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== PREFIX) throw new PasswordHashFormatError();
  const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Bounds keep a corrupted record from asking for gigabytes of memory.
  const ok = [logN, r, p].every(Number.isInteger) && logN >= 10 && logN <= 20 && r >= 1 && r <= 32 && p >= 1 && p <= 16;
  const salt = Buffer.from(parts[4] ?? "", "base64url");
  const key = Buffer.from(parts[5] ?? "", "base64url");
  if (!ok || salt.length === 0 || key.length < 16) throw new PasswordHashFormatError();
  return { params: { logN, r, p }, salt, key };
}

function derive(password: string, salt: Buffer, length: number, { logN, r, p }: ScryptParams): Promise<Buffer> {
  const N = 2 ** logN;
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    // NFKC, so one password typed through different input methods hashes the same.
    scrypt(password.normalize("NFKC"), salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

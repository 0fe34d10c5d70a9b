/**
 * AES-256-GCM sealing of account credentials at rest. This is the only module
 * that turns a credential into ciphertext and back; everything else handles
 * sealed strings. A sealed value is `v1.` + base64url(iv | tag | ciphertext),
 * with a fresh 96-bit IV per value (NIST SP 800-38D §8.2.2).
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const VERSION = "v1.";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Thrown by the cipher when a key is malformed or a sealed value does not open. */
export class CredentialCipherError extends Error {
  constructor(
    readonly code: "ERR_ENCRYPTION_KEY" | "ERR_CREDENTIAL_SEALED",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CredentialCipherError";
  }
}

/** Seals and opens credential strings. */
export interface CredentialCipher {
  /** Encrypts a plaintext into a self-describing sealed string. */
  encrypt(plaintext: string): string;
  /** Opens a sealed string; throws CredentialCipherError when it was tampered with or sealed under another key. */
  decrypt(sealed: string): string;
}

/** A cipher over a 32-byte key (see parseEncryptionKey). */
export function createCredentialCipher(key: Buffer): CredentialCipher {
  if (key.length !== 32) throw new CredentialCipherError("ERR_ENCRYPTION_KEY", "the encryption key must be 32 bytes");
  const secret = Buffer.from(key);
  return {
    encrypt(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", secret, iv);
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return VERSION + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
    },
    decrypt(sealed) {
      if (!sealed.startsWith(VERSION)) throw new CredentialCipherError("ERR_CREDENTIAL_SEALED", "unknown sealed credential format");
      const raw = Buffer.from(sealed.slice(VERSION.length), "base64url");
      if (raw.length < IV_BYTES + TAG_BYTES) throw new CredentialCipherError("ERR_CREDENTIAL_SEALED", "sealed credential is truncated");
      try {
        const decipher = createDecipheriv("aes-256-gcm", secret, raw.subarray(0, IV_BYTES));
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
      } catch (cause) {
        throw new CredentialCipherError("ERR_CREDENTIAL_SEALED", "sealed credential does not open with this key", { cause });
      }
    },
  };
}

/**
 * Reads CONTROL_PLANE_ENCRYPTION_KEY: 64 hex characters, or base64 (standard or
 * url-safe) of exactly 32 bytes. The error never repeats the value.
 */
export function parseEncryptionKey(raw: string): Buffer {
  const value = raw.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, "hex");
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const bytes = Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    if (bytes.length === 32) return bytes;
  }
  throw new CredentialCipherError(
    "ERR_ENCRYPTION_KEY",
    "the encryption key must be 64 hex characters or the base64 of 32 bytes (generate one with `openssl rand -hex 32`)",
  );
}

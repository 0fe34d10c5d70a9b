import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createCredentialCipher, parseEncryptionKey } from "./credential-cipher.js";

describe("createCredentialCipher", () => {
  it("opens what it sealed, and seals the same text differently each time", () => {
    const cipher = createCredentialCipher(randomBytes(32));
    const a = cipher.encrypt("sk-ant-secret");
    const b = cipher.encrypt("sk-ant-secret");
    expect(a).not.toBe(b);
    expect(a).not.toContain("sk-ant-secret");
    expect(cipher.decrypt(a)).toBe("sk-ant-secret");
  });

  it("refuses a value sealed under another key or tampered with", () => {
    const sealed = createCredentialCipher(randomBytes(32)).encrypt("secret");
    const other = createCredentialCipher(randomBytes(32));
    expect(() => other.decrypt(sealed)).toThrow(expect.objectContaining({ code: "ERR_CREDENTIAL_SEALED" }));
    const own = createCredentialCipher(Buffer.alloc(32, 7));
    const good = own.encrypt("secret");
    const flipped = `${good.slice(0, -2)}${good.at(-2) === "A" ? "B" : "A"}${good.at(-1)}`;
    expect(() => own.decrypt(flipped)).toThrow(expect.objectContaining({ code: "ERR_CREDENTIAL_SEALED" }));
  });

  it("rejects a key that is not 32 bytes", () => {
    expect(() => createCredentialCipher(randomBytes(16))).toThrow(expect.objectContaining({ code: "ERR_ENCRYPTION_KEY" }));
  });
});

describe("parseEncryptionKey", () => {
  it("accepts 64 hex characters", () => {
    const key = randomBytes(32);
    expect(parseEncryptionKey(key.toString("hex")).equals(key)).toBe(true);
  });

  it("accepts standard and url-safe base64 of 32 bytes", () => {
    const key = randomBytes(32);
    expect(parseEncryptionKey(key.toString("base64")).equals(key)).toBe(true);
    expect(parseEncryptionKey(key.toString("base64url")).equals(key)).toBe(true);
  });

  it("throws a clear error that does not repeat the value", () => {
    for (const bad of ["short", "z".repeat(64), randomBytes(16).toString("base64"), randomBytes(33).toString("hex")]) {
      let error: unknown;
      try {
        parseEncryptionKey(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: "ERR_ENCRYPTION_KEY" });
      expect((error as Error).message).toMatch(/64 hex characters or the base64 of 32 bytes/);
      expect((error as Error).message).not.toContain(bad);
    }
  });
});

import { describe, expect, it } from "vitest";
import { PasswordHashFormatError, hashPassword, verifyPassword } from "./password-hash.js";

const FAST = { logN: 10, r: 8, p: 1 };

describe("hashPassword / verifyPassword", () => {
  it("accepts the right password and refuses a wrong one", async () => {
    const stored = await hashPassword("correct horse battery staple", FAST);
    expect(await verifyPassword("correct horse battery staple", stored)).toBe(true);
    expect(await verifyPassword("correct horse battery stapler", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("salts every hash, so one password hashes differently each time", async () => {
    const a = await hashPassword("same", FAST);
    const b = await hashPassword("same", FAST);
    expect(a).not.toBe(b);
    expect(await verifyPassword("same", a)).toBe(true);
    expect(await verifyPassword("same", b)).toBe(true);
  });

  it("stores the parameters with the hash and never the password", async () => {
    const stored = await hashPassword("hunter2-hunter2", { logN: 11, r: 4, p: 2 });
    expect(stored).toMatch(/^scrypt\$11\$4\$2\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(stored).not.toContain("hunter2");
    expect(await verifyPassword("hunter2-hunter2", stored)).toBe(true);
  });

  it("uses the default cost when none is given", async () => {
    const stored = await hashPassword("default-cost");
    expect(stored.startsWith("scrypt$15$8$1$")).toBe(true);
    expect(await verifyPassword("default-cost", stored)).toBe(true);
  });

  it("throws a coded error for a malformed or absurd stored hash", async () => {
    for (const bad of ["", "plain", "bcrypt$10$8$1$abc$def", "scrypt$40$8$1$c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5"]) {
      const error = await verifyPassword("x", bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PasswordHashFormatError);
      expect((error as PasswordHashFormatError).code).toBe("ERR_PASSWORD_HASH_FORMAT");
    }
  });
});

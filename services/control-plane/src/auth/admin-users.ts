/**
 * Admin users in Redis (one hash, username → record with the scrypt hash) and
 * the first-start bootstrap of the admin account. Passwords never leave this
 * module except a generated one, printed once and written to a 0600 file.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Secret } from "@claude-relay/config";
import type { RedisCommander } from "ioredis";
import type { RedisKeys } from "../redis/keys.js";
import { DEFAULT_SCRYPT_PARAMS, hashPassword, verifyPassword, type ScryptParams } from "./password-hash.js";

interface StoredAdminUser {
  passwordHash: string;
  createdAtMs: number;
  passwordChangedAtMs?: number;
}

/** Admin accounts that may sign in to the admin API. */
export interface AdminUsers {
  /** Creates the user unless one of that name exists (HSETNX); true when this call created it. */
  createIfAbsent(username: string, password: string): Promise<boolean>;
  /** How many admin users exist. */
  count(): Promise<number>;
  /** True when the user exists and the password matches. Unknown users cost the same time as known ones. */
  verify(username: string, password: string): Promise<boolean>;
  /** Replaces an existing user's password; false when there is no such user. */
  setPassword(username: string, password: string): Promise<boolean>;
}

/** Options of createAdminUsers. */
export interface AdminUsersOptions {
  redis: RedisCommander;
  keys: Pick<RedisKeys, "adminUsers">;
  now?: () => number;
  /** scrypt cost for new hashes; tests may lower it. */
  scryptParams?: ScryptParams;
}

/** Admin users stored in one Redis hash. */
export function createAdminUsers({ redis, keys, now = Date.now, scryptParams = DEFAULT_SCRYPT_PARAMS }: AdminUsersOptions): AdminUsers {
  let decoy: Promise<string> | undefined;
  return {
    async createIfAbsent(username, password) {
      const record: StoredAdminUser = { passwordHash: await hashPassword(password, scryptParams), createdAtMs: now() };
      return (await redis.hsetnx(keys.adminUsers(), username, JSON.stringify(record))) === 1;
    },
    async count() {
      return redis.hlen(keys.adminUsers());
    },
    async verify(username, password) {
      const raw = await redis.hget(keys.adminUsers(), username);
      if (raw === null) {
        // Hash anyway so response time does not reveal which usernames exist.
        decoy ??= hashPassword(randomBytes(16).toString("base64url"), scryptParams);
        await verifyPassword(password, await decoy);
        return false;
      }
      const record = JSON.parse(raw) as StoredAdminUser;
      return verifyPassword(password, record.passwordHash);
    },
    async setPassword(username, password) {
      const raw = await redis.hget(keys.adminUsers(), username);
      if (raw === null) return false;
      const record: StoredAdminUser = { ...(JSON.parse(raw) as StoredAdminUser), passwordHash: await hashPassword(password, scryptParams), passwordChangedAtMs: now() };
      await redis.hset(keys.adminUsers(), username, JSON.stringify(record));
      return true;
    },
  };
}

/** Options of bootstrapAdmin. */
export interface BootstrapAdminOptions {
  users: AdminUsers;
  username: string;
  /** ADMIN_PASSWORD; used only when no admin exists yet, and never printed. */
  password?: Secret | undefined;
  /** Where a generated password is written, as `admin-password` with mode 0600. */
  dataDir: string;
  /** Receives the one line showing a generated password; defaults to stdout. */
  print?: (line: string) => void;
}

/** What bootstrapAdmin did. */
export interface BootstrapAdminResult {
  /** True when this call created the admin user. */
  created: boolean;
  /** True when the password was generated (and shown once). */
  generated: boolean;
  /** The file holding the generated password, when it was written. */
  passwordFile?: string;
}

/**
 * Creates the first admin when none exists. Safe to run on every start and on
 * replicas starting together: the user is created with HSETNX, so only one
 * replica's password is ever stored, and only that replica shows it.
 */
export async function bootstrapAdmin(options: BootstrapAdminOptions): Promise<BootstrapAdminResult> {
  const { users, username, password, dataDir } = options;
  const print = options.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  if ((await users.count()) > 0) return { created: false, generated: false };

  const generated = password === undefined;
  const plaintext = password?.reveal() ?? generatePassword();
  if (!(await users.createIfAbsent(username, plaintext))) return { created: false, generated: false };
  if (!generated) return { created: true, generated: false };

  const file = join(dataDir, "admin-password");
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await writeFile(file, `${plaintext}\n`, { mode: 0o600 });
    // The mode option applies only when the file is new; an old file keeps its mode otherwise.
    await chmod(file, 0o600);
  } catch (err) {
    // The user exists now, so the password must still reach the operator once.
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    print(`admin password (shown once; writing ${file} failed: ${code}): ${plaintext}`);
    return { created: true, generated: true };
  }
  print(`admin password (shown once, also written to ${file}): ${plaintext}`);
  return { created: true, generated: true, passwordFile: file };
}

/** 24 random bytes: 32 base64url characters, 192 bits. */
function generatePassword(): string {
  return randomBytes(24).toString("base64url");
}

/**
 * The local data folder of a single-machine install: generated secrets, the
 * generated admin password, the CLI's admin session and the local Redis data.
 * It lives outside the working directory (XDG data home by default), so no
 * plaintext credential sits in a checkout.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

/** Where the local install keeps its files: CLAUDE_RELAY_DATA_DIR, else $XDG_DATA_HOME/claude-relay, else ~/.local/share/claude-relay. */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLAUDE_RELAY_DATA_DIR) return env.CLAUDE_RELAY_DATA_DIR;
  const base = env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return join(base, "claude-relay");
}

/** Secrets shared by the local control plane and relay. */
export interface LocalSecrets {
  internalToken: string;
  encryptionKey: string;
}

/**
 * Reads the local secrets, generating any that are missing (mode 0600).
 * Values given in the environment win and are never written.
 */
export async function loadLocalSecrets(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<LocalSecrets> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, "secrets.json");
  let stored: Partial<LocalSecrets> = {};
  try {
    stored = JSON.parse(await readFile(file, "utf8")) as Partial<LocalSecrets>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const secrets: LocalSecrets = {
    internalToken: stored.internalToken ?? randomBytes(32).toString("base64url"),
    encryptionKey: stored.encryptionKey ?? randomBytes(32).toString("hex"),
  };
  if (secrets.internalToken !== stored.internalToken || secrets.encryptionKey !== stored.encryptionKey) {
    await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
  }
  return {
    internalToken: env.CONTROL_PLANE_INTERNAL_TOKEN || secrets.internalToken,
    encryptionKey: env.CONTROL_PLANE_ENCRYPTION_KEY || secrets.encryptionKey,
  };
}

/** The file where the control plane writes a generated first admin password. */
export function adminPasswordFile(dataDir: string): string {
  return join(dataDir, "admin-password");
}

/** Reads a file's text, or undefined when it does not exist. */
export async function readOptional(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

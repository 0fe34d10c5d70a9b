/**
 * Service tokens: named bearer credentials for internal services calling the
 * admin API. The token ("crst_" and 32 random bytes, base64url) is returned
 * once by `create`; Redis holds only its SHA-256, keyed by that hash, so
 * `verify` is one GET. Revoked tokens stay listed with their revocation time.
 * Last use is written off the call path, at most once per `lastUseEveryMs` per
 * token and replica. What a token may call is token-scopes.ts's business.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { RedisClient } from "../redis/client.js";
import type { RedisKeys } from "../redis/keys.js";
import { InvalidRequestError } from "../errors.js";
import { isTokenScope, TOKEN_SCOPES, type TokenScope } from "./token-scopes.js";

/** What every service token starts with, so a bearer token is told apart from an admin session. */
export const SERVICE_TOKEN_PREFIX = "crst_";
/** Five seconds. */
export const DEFAULT_LAST_USE_EVERY_MS = 5_000;
const MAX_NAME_LENGTH = 64;

/** A stored token (never the token itself). Times are ms; 0 means unset. */
export interface ServiceTokenRecord {
  id: string;
  name: string;
  scopes: TokenScope[];
  /** The token's first characters ("crst_AbCdEf"). */
  tokenPrefix: string;
  createdAtMs: number;
  createdBy: string;
  expiresAtMs: number;
  revokedAtMs: number;
}

/** A token as listed, with its last use (0: never). */
export interface ServiceTokenView extends ServiceTokenRecord {
  lastUsedAtMs: number;
  state: ServiceTokenState;
}

/** Whether a token is accepted now. */
export type ServiceTokenState = "active" | "expired" | "revoked";

/** What create needs. */
export interface NewServiceToken {
  name: string;
  scopes: readonly string[];
  /** 0 or absent: never expires. */
  expiresAtMs?: number;
  createdBy: string;
}

/** Creates, lists, revokes and checks service tokens. */
export interface ServiceTokens {
  /** Stores a new token; the secret is returned here only. Throws InvalidRequestError for a bad name, scope or expiry. */
  create(input: NewServiceToken): Promise<{ token: string; record: ServiceTokenView }>;
  /** Every token, newest first. */
  list(): Promise<ServiceTokenView[]>;
  /** Revokes a token; undefined when the id is unknown. Revoking twice keeps the first time. */
  revoke(id: string): Promise<ServiceTokenView | undefined>;
  /** The record of an active token, or undefined for an unknown, revoked or expired one. */
  verify(token: string): Promise<ServiceTokenRecord | undefined>;
  /** Notes a use of the token; written in the background, at most every lastUseEveryMs. */
  touch(id: string): void;
}

/** Options of createServiceTokens. */
export interface ServiceTokensOptions {
  redis: Pick<RedisClient, "get" | "set" | "hset" | "hget" | "hgetall">;
  keys: Pick<RedisKeys, "serviceToken" | "serviceTokenIndex" | "serviceTokenLastUse">;
  now?: () => number;
  lastUseEveryMs?: number;
  /** Told when a last-use write fails (it never fails a call). */
  onError?: (err: unknown) => void;
}

/** True when `token` has the shape create hands out; anything else is refused before Redis is asked. */
export function isServiceTokenShaped(token: string): boolean {
  return /^crst_[A-Za-z0-9_-]{43}$/.test(token);
}

/** The state of a record at `nowMs`. */
export function serviceTokenState(record: ServiceTokenRecord, nowMs: number): ServiceTokenState {
  if (record.revokedAtMs > 0) return "revoked";
  if (record.expiresAtMs > 0 && record.expiresAtMs <= nowMs) return "expired";
  return "active";
}

/** Service tokens stored hashed in Redis. */
export function createServiceTokens(options: ServiceTokensOptions): ServiceTokens {
  const { redis, keys, now = Date.now, lastUseEveryMs = DEFAULT_LAST_USE_EVERY_MS, onError = () => {} } = options;
  const lastWritten = new Map<string, number>();

  const read = async (tokenHash: string): Promise<ServiceTokenRecord | undefined> => {
    const raw = await redis.get(keys.serviceToken(tokenHash));
    return raw === null ? undefined : (JSON.parse(raw) as ServiceTokenRecord);
  };
  const view = (record: ServiceTokenRecord, lastUse: string | null | undefined): ServiceTokenView => ({
    ...record,
    lastUsedAtMs: Number(lastUse ?? 0) || 0,
    state: serviceTokenState(record, now()),
  });

  return {
    async create(input) {
      const name = checkName(input.name);
      const scopes = checkScopes(input.scopes);
      const expiresAtMs = input.expiresAtMs ?? 0;
      const createdAtMs = now();
      if (!Number.isInteger(expiresAtMs) || expiresAtMs < 0) throw new InvalidRequestError("expires_at: is not a valid time");
      if (expiresAtMs !== 0 && expiresAtMs <= createdAtMs) throw new InvalidRequestError("expires_at: must be in the future");
      if ((await this.list()).some((existing) => existing.name === name)) throw new InvalidRequestError(`name: a service token named "${name}" exists`);

      const token = SERVICE_TOKEN_PREFIX + randomBytes(32).toString("base64url");
      const tokenHash = hashToken(token);
      const record: ServiceTokenRecord = {
        id: randomUUID(),
        name,
        scopes,
        tokenPrefix: token.slice(0, SERVICE_TOKEN_PREFIX.length + 6),
        createdAtMs,
        createdBy: input.createdBy,
        expiresAtMs,
        revokedAtMs: 0,
      };
      await redis.set(keys.serviceToken(tokenHash), JSON.stringify(record));
      await redis.hset(keys.serviceTokenIndex(), record.id, tokenHash);
      return { token, record: view(record, undefined) };
    },

    async list() {
      const [index, lastUse] = await Promise.all([redis.hgetall(keys.serviceTokenIndex()), redis.hgetall(keys.serviceTokenLastUse())]);
      const records = await Promise.all(Object.values(index).map(read));
      return records
        .filter((record): record is ServiceTokenRecord => record !== undefined)
        .map((record) => view(record, lastUse[record.id]))
        .sort((a, b) => b.createdAtMs - a.createdAtMs || a.name.localeCompare(b.name));
    },

    async revoke(id) {
      const tokenHash = await redis.hget(keys.serviceTokenIndex(), id);
      if (tokenHash === null) return undefined;
      const record = await read(tokenHash);
      if (record === undefined) return undefined;
      if (record.revokedAtMs === 0) {
        record.revokedAtMs = now();
        await redis.set(keys.serviceToken(tokenHash), JSON.stringify(record));
      }
      return view(record, await redis.hget(keys.serviceTokenLastUse(), id));
    },

    async verify(token) {
      if (!isServiceTokenShaped(token)) return undefined;
      const record = await read(hashToken(token));
      return record !== undefined && serviceTokenState(record, now()) === "active" ? record : undefined;
    },

    touch(id) {
      const at = now();
      if (at - (lastWritten.get(id) ?? -Infinity) < lastUseEveryMs) return;
      lastWritten.set(id, at);
      redis.hset(keys.serviceTokenLastUse(), id, String(at)).catch(onError);
    },
  };
}

function checkName(raw: string): string {
  const name = raw.trim();
  if (name === "") throw new InvalidRequestError("name: is required");
  if (name.length > MAX_NAME_LENGTH) throw new InvalidRequestError(`name: at most ${MAX_NAME_LENGTH} characters`);
  if (/[\p{Cc}]/u.test(name)) throw new InvalidRequestError("name: must not contain control characters");
  return name;
}

function checkScopes(raw: readonly string[]): TokenScope[] {
  if (raw.length === 0) throw new InvalidRequestError(`scopes: at least one of ${TOKEN_SCOPES.join(", ")}`);
  const unknown = raw.filter((scope) => !isTokenScope(scope));
  if (unknown.length > 0) throw new InvalidRequestError(`scopes: unknown ${unknown.join(", ")}; known are ${TOKEN_SCOPES.join(", ")}`);
  return TOKEN_SCOPES.filter((scope) => raw.includes(scope));
}

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Account records to admin Account messages and back for the type enum. What
 * leaves here never carries a credential, and the proxy URL has its password
 * masked.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AccountType as ProtoAccountType, type AccountSchema } from "@claude-relay/proto/admin";
import type { AccountRecord, AccountType } from "../../accounts/account-store.js";

/** What replaces a proxy password in every answer. */
export const MASK = "***";

/** The proxy URL with its password replaced by "***"; a value that is not a URL with a host is masked whole. */
export function maskProxyUrl(proxyUrl: string): string {
  if (proxyUrl === "") return "";
  let url: URL;
  try {
    url = new URL(proxyUrl);
  } catch {
    return MASK;
  }
  if (url.host === "") return MASK;
  if (url.password !== "") url.password = MASK;
  return url.href;
}

/** The store's account type for a proto one; undefined for UNSPECIFIED or an unknown number. */
export function accountTypeFromProto(type: ProtoAccountType): AccountType | undefined {
  switch (type) {
    case ProtoAccountType.CLAUDE_CONSOLE:
      return "claude-console";
    case ProtoAccountType.CLAUDE_OAUTH:
      return "claude-oauth";
    default:
      return undefined;
  }
}

/** The proto account type of a store one. */
export function accountTypeToProto(type: AccountType): ProtoAccountType {
  switch (type) {
    case "claude-console":
      return ProtoAccountType.CLAUDE_CONSOLE;
    case "claude-oauth":
      return ProtoAccountType.CLAUDE_OAUTH;
    default:
      return assertNever(type);
  }
}

/** The admin Account message of a record; unset times (0) stay unset. */
export function toAccountMessage(record: AccountRecord, activeLeases: number): MessageInitShape<typeof AccountSchema> {
  return {
    id: record.id,
    name: record.name,
    type: accountTypeToProto(record.type),
    baseUrl: record.baseUrl,
    priority: record.priority,
    maxConcurrentTasks: record.maxConcurrentTasks,
    schedulable: record.schedulable,
    proxyUrl: maskProxyUrl(record.proxyUrl),
    createdAt: optionalTimestamp(record.createdAtMs),
    lastUsedAt: optionalTimestamp(record.lastUsedAtMs),
    activeLeases,
    tokenExpiresAt: optionalTimestamp(record.tokenExpiresAtMs),
  };
}

/** A Timestamp for a positive ms value, else undefined (the field stays unset). */
export function optionalTimestamp(ms: number): ReturnType<typeof timestampFromMs> | undefined {
  return ms > 0 ? timestampFromMs(ms) : undefined;
}

function assertNever(value: never): never {
  throw new Error(`unexpected account type ${String(value)}`);
}

/**
 * Account records to admin Account messages and back for the type enum. What
 * leaves here never carries a credential, and the proxy URL has its password
 * masked.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AccountHealth, AccountType as ProtoAccountType, type AccountSchema, type AccountUsageSchema, type RateLimitWindowSchema } from "@claude-relay/proto/admin";
import { HEALTHY, viewHealth, type AccountCondition, type HealthView } from "../../accounts/account-health.js";
import type { AccountRecord, AccountType } from "../../accounts/account-store.js";
import { platformOf } from "../../providers/account-types.js";
import { platformToProto } from "../../providers/platform-proto.js";
import { nanosToUsd } from "../../usage/pricing.js";
import type { UsageTotals } from "../../usage/usage-reader.js";

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
    case ProtoAccountType.GEMINI_API:
      return "gemini-api";
    case ProtoAccountType.GEMINI_OAUTH:
      return "gemini-oauth";
    case ProtoAccountType.OPENAI_API:
      return "openai-api";
    case ProtoAccountType.OPENAI_OAUTH:
      return "openai-oauth";
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
    case "gemini-api":
      return ProtoAccountType.GEMINI_API;
    case "gemini-oauth":
      return ProtoAccountType.GEMINI_OAUTH;
    case "openai-api":
      return ProtoAccountType.OPENAI_API;
    case "openai-oauth":
      return ProtoAccountType.OPENAI_OAUTH;
    default:
      return assertNever(type);
  }
}

/** The admin Account message of a record, with its health as read at nowMs; unset times (0) stay unset. */
export function toAccountMessage(
  record: AccountRecord,
  activeLeases: number,
  condition?: AccountCondition,
  nowMs: number = Date.now(),
  usageToday?: UsageTotals,
): MessageInitShape<typeof AccountSchema> {
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
    group: record.group,
    allowedModels: [...record.allowedModels],
    platform: platformToProto(platformOf(record.type)),
    projectId: record.projectId,
    tokenUrl: record.tokenUrl,
    chatgptAccountId: record.chatgptAccountId ?? "",
    ...toHealthFields(condition, nowMs),
    ...(usageToday && { usageToday: toAccountUsage(usageToday) }),
  };
}

/** An AccountUsage message of counter totals: tokens of every kind together, cost in dollars. */
export function toAccountUsage(totals: UsageTotals): MessageInitShape<typeof AccountUsageSchema> {
  return {
    requests: BigInt(Math.trunc(totals.requests)),
    tokens: BigInt(Math.trunc(totalTokens(totals))),
    costUsd: nanosToUsd(totals.cost_nanos),
  };
}

/** Input, output and cache tokens together. */
export function totalTokens(totals: Pick<UsageTotals, "input_tokens" | "output_tokens" | "cache_creation_input_tokens" | "cache_read_input_tokens">): number {
  return totals.input_tokens + totals.output_tokens + totals.cache_creation_input_tokens + totals.cache_read_input_tokens;
}

/** The health fields of an Account message: the state as it reads at nowMs, why, until when, and the windows. */
export function toHealthFields(
  condition: AccountCondition | undefined,
  nowMs: number,
): Pick<MessageInitShape<typeof AccountSchema>, "health" | "healthReason" | "healthUntil" | "windows"> {
  const health = condition?.health ?? HEALTHY;
  const view = viewHealth(health, nowMs);
  const timed = view === "rate_limited" || view === "overloaded" || view === "circuit_open";
  return {
    health: toProtoHealth(view),
    healthReason: view === "healthy" ? "" : health.reason,
    healthUntil: timed ? optionalTimestamp(health.untilMs) : undefined,
    windows: (condition?.windows ?? []).map(
      (w): MessageInitShape<typeof RateLimitWindowSchema> => ({
        name: w.name,
        status: w.status,
        ...(w.utilization !== undefined && { utilization: w.utilization }),
        resetsAt: optionalTimestamp(w.resetMs),
        ...(w.windowMinutes !== undefined && { windowMinutes: w.windowMinutes }),
      }),
    ),
  };
}

function toProtoHealth(view: HealthView): AccountHealth {
  switch (view) {
    case "healthy":
      return AccountHealth.HEALTHY;
    case "rate_limited":
      return AccountHealth.RATE_LIMITED;
    case "overloaded":
      return AccountHealth.OVERLOADED;
    case "unauthorized":
      return AccountHealth.UNAUTHORIZED;
    case "banned":
      return AccountHealth.BANNED;
    case "circuit_open":
      return AccountHealth.CIRCUIT_OPEN;
    case "half_open":
      return AccountHealth.CIRCUIT_HALF_OPEN;
    default:
      return assertNever(view);
  }
}

/** A Timestamp for a positive ms value, else undefined (the field stays unset). */
export function optionalTimestamp(ms: number): ReturnType<typeof timestampFromMs> | undefined {
  return ms > 0 ? timestampFromMs(ms) : undefined;
}

function assertNever(value: never): never {
  throw new Error(`unexpected account type ${String(value)}`);
}

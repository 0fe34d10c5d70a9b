/**
 * A key's requests and tokens today and in total, as the keys list shows
 * them: from the key's own counters when the server reports them with its
 * spend, else today's from the usage breakdown (no total then).
 */
import type { ApiKey, UsageCounters } from "@claude-relay/proto/admin";
import { totalTokens } from "../dashboard/usage-chart-data.js";

/** Requests and tokens over one period. */
export interface UsageLine {
  requests: bigint;
  tokens: bigint;
}

/** A key's usage; `total` only when the server reported it. */
export interface KeyUsage {
  today: UsageLine;
  total?: UsageLine;
}

/** The usage of `apiKey`, or undefined when neither source has it. */
export function keyUsage(apiKey: Pick<ApiKey, "id" | "spend">, usageToday: ReadonlyMap<string, UsageCounters> | undefined): KeyUsage | undefined {
  const spend = apiKey.spend;
  if (spend) {
    return {
      today: { requests: spend.todayRequests, tokens: spend.todayTokens },
      total: { requests: spend.totalRequests, tokens: spend.totalTokens },
    };
  }
  if (!usageToday) return undefined;
  const counters = usageToday.get(apiKey.id);
  return { today: { requests: counters?.requests ?? 0n, tokens: BigInt(counters ? totalTokens(counters) : 0) } };
}

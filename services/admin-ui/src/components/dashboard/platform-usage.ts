/**
 * The dashboard's split by platform: the usage per platform a summary reports
 * (GetUsageSummaryResponse.platforms, ids "claude", "gemini" and "openai"), the share
 * each platform has of the total, the accounts each platform holds, and the
 * subject that narrows a daily or hourly series to one platform. Pure.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Account, NamedUsage, UsageCounters, UsageSubjectSchema } from "@claude-relay/proto/admin";
import { PLATFORM_IDS, accountPlatform, isPlatformId, type PlatformId } from "../platforms/platforms.js";
import { metricOf, type UsageMetric } from "./usage-chart-data.js";

/** One platform's usage in a period. */
export interface PlatformUsage {
  /** The wire id as sent ("claude", "gemini", "openai", or one this UI does not know yet). */
  id: string;
  usage: UsageCounters | undefined;
}

/** The platforms of a summary, known ones first in the UI's order, then any other as sent. */
export function platformUsage(platforms: readonly NamedUsage[]): PlatformUsage[] {
  const order = (id: string): number => (isPlatformId(id) ? PLATFORM_IDS.indexOf(id) : PLATFORM_IDS.length);
  return platforms
    .map((p) => ({ id: p.id, usage: p.usage }))
    .sort((a, b) => order(a.id) - order(b.id));
}

/** A platform's share of `metric` among `platforms`, 0 to 100, rounded; 0 when nothing was used. */
export function platformShare(platforms: readonly PlatformUsage[], id: string, metric: UsageMetric): number {
  const total = platforms.reduce((sum, p) => sum + metricOf(p.usage, metric), 0);
  if (total <= 0) return 0;
  const own = metricOf(platforms.find((p) => p.id === id)?.usage, metric);
  return Math.round((own / total) * 100);
}

/** How many accounts each platform holds; every platform is present, with 0 when it has none. */
export function accountsByPlatform(accounts: readonly Pick<Account, "platform" | "type">[]): Record<PlatformId, number> {
  const counts = Object.fromEntries(PLATFORM_IDS.map((id) => [id, 0])) as Record<PlatformId, number>;
  for (const account of accounts) counts[accountPlatform(account)] += 1;
  return counts;
}

/** The usage subject narrowing a series to one platform. */
export function platformSubject(id: PlatformId): MessageInitShape<typeof UsageSubjectSchema> {
  return { subject: { case: "platform", value: id } };
}

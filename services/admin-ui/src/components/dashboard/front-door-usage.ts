/**
 * The dashboard's split by front door: the client API requests came in on
 * (GetUsageSummaryResponse.front_doors, ids "anthropic", "gemini",
 * "openai-chat", "openai-responses"), each front door's share of a metric, and how many requests
 * of the period no front door accounts for (relays older than the field). Pure.
 */
import type { NamedUsage, UsageCounters } from "@claude-relay/proto/admin";
import { platformShare, type PlatformUsage } from "./platform-usage.js";
import type { UsageMetric } from "./usage-chart-data.js";

/** A front door by its wire id, as in usage ids. */
export type FrontDoorId = "anthropic" | "gemini" | "openai-chat" | "openai-responses";

/** One front door's usage in a period: its wire id as sent (one this UI does not know is kept) and its counters. */
export type FrontDoorUsage = PlatformUsage;

const LABEL_KEYS: Readonly<Record<FrontDoorId, string>> = Object.freeze({
  anthropic: "frontDoor.anthropic",
  gemini: "frontDoor.gemini",
  "openai-chat": "frontDoor.openaiChat",
  "openai-responses": "frontDoor.openaiResponses",
});

/** The front doors of a summary in the server's order (by cost, then requests). */
export function frontDoorUsage(frontDoors: readonly NamedUsage[]): FrontDoorUsage[] {
  return frontDoors.map((d) => ({ id: d.id, usage: d.usage }));
}

/** The message key of a front door's name; undefined for an id this UI does not know (shown as sent). */
export function frontDoorLabelKey(id: string): string | undefined {
  return Object.hasOwn(LABEL_KEYS, id) ? LABEL_KEYS[id as FrontDoorId] : undefined;
}

/** A front door's share of `metric` among `frontDoors`, 0 to 100, rounded; 0 when nothing was used. */
export function frontDoorShare(frontDoors: readonly FrontDoorUsage[], id: string, metric: UsageMetric): number {
  return platformShare(frontDoors, id, metric);
}

/** Requests of the period in no front door: those released by relays that do not name one; never negative. */
export function unattributedRequests(total: UsageCounters | undefined, frontDoors: readonly FrontDoorUsage[]): bigint {
  const counted = frontDoors.reduce((sum, d) => sum + (d.usage?.requests ?? 0n), 0n);
  const rest = (total?.requests ?? 0n) - counted;
  return rest > 0n ? rest : 0n;
}

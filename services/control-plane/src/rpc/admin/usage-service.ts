/**
 * UsageService: tokens and cost for the dashboard, read through usage-reader.
 * Days are UTC "YYYY-MM-DD"; an unset day means today. Ranges are limited to
 * MAX_RANGE_DAYS so one call reads a bounded number of hashes. Platforms are
 * named by their ids ("claude", "gemini"), in the summary and as a subject;
 * front doors by theirs ("anthropic", "gemini", "openai-chat"), in the summary.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { UsageCountersSchema, UsageService, UsageSubject as ProtoUsageSubject } from "@claude-relay/proto/admin";
import type { AccountStore } from "../../accounts/account-store.js";
import type { ApiKeyStore } from "../../keys/api-key-store.js";
import { PLATFORMS } from "../../providers/account-types.js";
import { isPlatformName } from "../../providers/platform-proto.js";
import { FRONT_DOORS } from "../../usage/front-doors.js";
import { nanosToUsd } from "../../usage/pricing.js";
import { dayOf, daysBetween, parseDay } from "../../usage/usage-periods.js";
import { addTotals, byCostThenRequests, emptyTotals, type UsageReader, type UsageSubject, type UsageTotals } from "../../usage/usage-reader.js";
import { checkNonEmpty, checkNonNegativeInt, invalidArgument } from "./field-checks.js";

/** Dependencies of createUsageService. */
export interface UsageServiceDeps {
  usage: UsageReader;
  /** For the names of the top keys and accounts. */
  apiKeys: Pick<ApiKeyStore, "get">;
  accounts: Pick<AccountStore, "get">;
  now?: () => number;
}

/** The longest range one call may ask for. */
export const MAX_RANGE_DAYS = 92;
const DEFAULT_TOP = 10;
const MAX_TOP = 100;

/** The UsageService implementation. */
export function createUsageService({ usage, apiKeys, accounts, now = Date.now }: UsageServiceDeps): ServiceImpl<typeof UsageService> {
  const today = () => dayOf(now());

  function range(fromDay: string, toDay: string): string[] {
    const from = checkDay("from_day", fromDay || today());
    const to = checkDay("to_day", toDay || from);
    const days = daysBetween(from, to);
    if (days.length === 0) throw invalidArgument("to_day", "must not be before from_day");
    if (days.length > MAX_RANGE_DAYS) throw invalidArgument("to_day", `must be at most ${MAX_RANGE_DAYS - 1} days after from_day`);
    return days;
  }

  return {
    async getUsageSummary(req) {
      const days = range(req.fromDay, req.toDay);
      const top = req.top === 0 ? DEFAULT_TOP : Math.min(checkNonNegativeInt("top", req.top), MAX_TOP);
      const [daily, models, keyUsage, accountUsage, platformUsage, frontDoorUsage] = await Promise.all([
        usage.daily({ kind: "total" }, days),
        usage.breakdown("model", days),
        usage.breakdown("key", days),
        usage.breakdown("account", days),
        usage.breakdown("platform", days),
        usage.breakdown("front-door", days),
      ]);
      const ranked = (m: Map<string, UsageTotals>) => [...m.entries()].sort(([, a], [, b]) => byCostThenRequests(a, b));
      // Every front door that took a request, by cost then requests (ties in FRONT_DOORS order); only known names.
      const frontDoors = ranked(new Map(FRONT_DOORS.map((id) => [id, frontDoorUsage.get(id) ?? emptyTotals()] as const).filter(([, t]) => t.requests > 0)));
      const topKeys = ranked(keyUsage).slice(0, top);
      const topAccounts = ranked(accountUsage).slice(0, top);
      const [keyNames, accountNames] = await Promise.all([
        Promise.all(topKeys.map(([id]) => apiKeys.get(id).then((k) => k?.name ?? ""))),
        Promise.all(topAccounts.map(([id]) => accounts.get(id).then((a) => a?.name ?? ""))),
      ]);
      return {
        fromDay: days[0],
        toDay: days[days.length - 1],
        total: toCounters(daily.reduce(addTotals, emptyTotals())),
        days: days.map((day, i) => ({ day, usage: toCounters(daily[i] ?? emptyTotals()) })),
        models: ranked(models).map(([id, totals]) => ({ id, name: id, usage: toCounters(totals) })),
        topKeys: topKeys.map(([id, totals], i) => ({ id, name: keyNames[i] ?? "", usage: toCounters(totals) })),
        topAccounts: topAccounts.map(([id, totals], i) => ({ id, name: accountNames[i] ?? "", usage: toCounters(totals) })),
        unpricedModels: [...models.entries()].filter(([, t]) => t.unpriced_requests > 0).map(([id]) => id),
        // Every platform that served a request, in PLATFORMS order; names this version does not know are left out.
        platforms: PLATFORMS.flatMap((id) => {
          const totals = platformUsage.get(id);
          return totals && totals.requests > 0 ? [{ id, name: id, usage: toCounters(totals) }] : [];
        }),
        frontDoors: frontDoors.map(([id, totals]) => ({ id, name: id, usage: toCounters(totals) })),
      };
    },

    async getDailyUsage(req) {
      const days = range(req.fromDay, req.toDay);
      const daily = await usage.daily(toSubject(req.subject), days);
      return {
        total: toCounters(daily.reduce(addTotals, emptyTotals())),
        days: days.map((day, i) => ({ day, usage: toCounters(daily[i] ?? emptyTotals()) })),
      };
    },

    async getHourlyUsage(req) {
      const day = checkDay("day", req.day || today());
      const hourly = await usage.hourly(toSubject(req.subject), day);
      return {
        total: toCounters(hourly.reduce(addTotals, emptyTotals())),
        hours: hourly.map((totals, hour) => ({ hour, usage: toCounters(totals) })),
      };
    },
  };
}

/** The admin UsageCounters message of totals. */
export function toCounters(totals: UsageTotals): MessageInitShape<typeof UsageCountersSchema> {
  return {
    requests: BigInt(totals.requests),
    inputTokens: BigInt(totals.input_tokens),
    outputTokens: BigInt(totals.output_tokens),
    cacheCreationInputTokens: BigInt(totals.cache_creation_input_tokens),
    cacheReadInputTokens: BigInt(totals.cache_read_input_tokens),
    costUsd: nanosToUsd(totals.cost_nanos),
    unpricedRequests: BigInt(totals.unpriced_requests),
  };
}

function checkDay(field: string, day: string): string {
  if (parseDay(day) === undefined) throw invalidArgument(field, "must be a day as YYYY-MM-DD");
  return day;
}

function toSubject(subject: ProtoUsageSubject | undefined): UsageSubject {
  const s = subject?.subject;
  switch (s?.case) {
    case "keyId":
      return { kind: "key", id: checkNonEmpty("subject.key_id", s.value) };
    case "accountId":
      return { kind: "account", id: checkNonEmpty("subject.account_id", s.value) };
    case "model":
      return { kind: "model", id: checkNonEmpty("subject.model", s.value) };
    case "platform": {
      const platform = s.value.trim();
      if (!isPlatformName(platform)) throw invalidArgument("subject.platform", `must be one of ${PLATFORMS.join(", ")}`);
      return { kind: "platform", id: platform };
    }
    default:
      return { kind: "total" };
  }
}

/**
 * The limit fields of an API key as the admin API reads and shows them:
 * expiry after first use, client allow-list, the rolling rate limit and the
 * cost limits (keys/key-settings), plus the key's spend against them. Bad
 * input is refused with InvalidArgument naming the proto field.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ApiKeySchema, ClientList, CostLimits, RateLimit } from "@claude-relay/proto/admin";
import type { ApiKeyRecord } from "../../keys/api-key-store.js";
import type { KeySpend } from "../../keys/key-limits.js";
import { MAX_RATE_WINDOW_SECONDS, type KeyLimitSettings } from "../../keys/key-settings.js";
import { nanosToUsd } from "../../usage/pricing.js";
import { optionalTimestamp } from "./account-message.js";
import { checkNonEmpty, checkNonNegativeInt, invalidArgument } from "./field-checks.js";

type ApiKeyLimitMessage = Pick<
  MessageInitShape<typeof ApiKeySchema>,
  "expireAfterFirstUseSeconds" | "firstUsedAt" | "allowedClients" | "rateLimit" | "costLimits" | "spend"
>;

/** The value when it is a finite number ≥ 0 (US dollars). */
export function checkUsd(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw invalidArgument(field, `must be a non-negative number of US dollars, got ${value}`);
  return value;
}

/** The rate-limit settings of a RateLimit message. */
export function checkRateLimit(field: string, rate: RateLimit): Pick<KeyLimitSettings, "rateWindowSeconds" | "rateLimitRequests" | "rateLimitTokens"> {
  const rateWindowSeconds = checkNonNegativeInt(`${field}.window_seconds`, rate.windowSeconds, "0 turns the rate limit off");
  if (rateWindowSeconds > MAX_RATE_WINDOW_SECONDS) throw invalidArgument(`${field}.window_seconds`, `must be at most ${MAX_RATE_WINDOW_SECONDS} (31 days)`);
  const rateLimitRequests = checkNonNegativeInt(`${field}.max_requests`, rate.maxRequests, "0 means no limit");
  if (rate.maxTokens > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidArgument(`${field}.max_tokens`, "is too large");
  const rateLimitTokens = checkNonNegativeInt(`${field}.max_tokens`, Number(rate.maxTokens), "0 means no limit");
  if (rateWindowSeconds === 0 && (rateLimitRequests > 0 || rateLimitTokens > 0)) {
    throw invalidArgument(`${field}.window_seconds`, "must be set when max_requests or max_tokens is");
  }
  return { rateWindowSeconds, rateLimitRequests, rateLimitTokens };
}

/** The cost-limit settings of a CostLimits message. */
export function checkCostLimits(field: string, cost: CostLimits): Pick<KeyLimitSettings, "dailyCostLimitUsd" | "totalCostLimitUsd" | "weeklyOpusCostLimitUsd"> {
  return {
    dailyCostLimitUsd: checkUsd(`${field}.daily_usd`, cost.dailyUsd),
    totalCostLimitUsd: checkUsd(`${field}.total_usd`, cost.totalUsd),
    weeklyOpusCostLimitUsd: checkUsd(`${field}.weekly_opus_usd`, cost.weeklyOpusUsd),
  };
}

/** The client patterns of a list, each non-empty. */
export function checkClientPatterns(field: string, patterns: readonly string[]): string[] {
  return patterns.map((pattern, i) => checkNonEmpty(`${field}[${i}]`, pattern));
}

/** The limit settings of a CreateApiKeyRequest. */
export function checkNewKeyLimits(req: {
  expireAfterFirstUseSeconds: number;
  allowedClients: readonly string[];
  rateLimit?: RateLimit | undefined;
  costLimits?: CostLimits | undefined;
}): Partial<KeyLimitSettings> {
  return {
    expireAfterFirstUseSeconds: checkNonNegativeInt("expire_after_first_use_seconds", req.expireAfterFirstUseSeconds, "0 means no such limit"),
    allowedClients: checkClientPatterns("allowed_clients", req.allowedClients),
    ...(req.rateLimit && checkRateLimit("rate_limit", req.rateLimit)),
    ...(req.costLimits && checkCostLimits("cost_limits", req.costLimits)),
  };
}

/** The limit settings an UpdateApiKeyRequest changes (only those it sets). */
export function checkKeyLimitsPatch(req: {
  expireAfterFirstUseSeconds?: number | undefined;
  allowedClients?: ClientList | undefined;
  rateLimit?: RateLimit | undefined;
  costLimits?: CostLimits | undefined;
}): Partial<KeyLimitSettings> {
  return {
    ...(req.expireAfterFirstUseSeconds !== undefined && {
      expireAfterFirstUseSeconds: checkNonNegativeInt("expire_after_first_use_seconds", req.expireAfterFirstUseSeconds, "0 means no such limit"),
    }),
    ...(req.allowedClients && { allowedClients: checkClientPatterns("allowed_clients.patterns", req.allowedClients.patterns) }),
    ...(req.rateLimit && checkRateLimit("rate_limit", req.rateLimit)),
    ...(req.costLimits && checkCostLimits("cost_limits", req.costLimits)),
  };
}

/** The limit fields of an ApiKey message; `spend` when it was read. */
export function toLimitFields(record: ApiKeyRecord, spend?: KeySpend): ApiKeyLimitMessage {
  return {
    expireAfterFirstUseSeconds: record.expireAfterFirstUseSeconds ?? 0,
    firstUsedAt: optionalTimestamp(record.firstUsedAtMs ?? 0),
    allowedClients: [...(record.allowedClients ?? [])],
    rateLimit: { windowSeconds: record.rateWindowSeconds ?? 0, maxRequests: record.rateLimitRequests ?? 0, maxTokens: BigInt(record.rateLimitTokens ?? 0) },
    costLimits: { dailyUsd: record.dailyCostLimitUsd ?? 0, totalUsd: record.totalCostLimitUsd ?? 0, weeklyOpusUsd: record.weeklyOpusCostLimitUsd ?? 0 },
    ...(spend && {
      spend: {
        todayUsd: nanosToUsd(spend.todayNanos),
        totalUsd: nanosToUsd(spend.totalNanos),
        opusThisWeekUsd: nanosToUsd(spend.opusThisWeekNanos),
        windowRequests: spend.windowRequests,
        windowTokens: BigInt(spend.windowTokens),
        todayRequests: BigInt(Math.trunc(spend.todayRequests)),
        todayTokens: BigInt(Math.trunc(spend.todayTokens)),
        totalRequests: BigInt(Math.trunc(spend.totalRequests)),
        totalTokens: BigInt(Math.trunc(spend.totalTokens)),
      },
    }),
  };
}

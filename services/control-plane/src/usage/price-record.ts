/**
 * One model's price as the price store keeps it and the admin API shows it:
 * US dollars per million tokens, as entered, with the platform and where the
 * price came from ("shipped" with the control plane, or set by an admin).
 * This module owns the checks an entered price must pass and the conversion
 * to and from the nano-dollar rates pricing.ts computes with; it is pure.
 * Keeping prices is price-store's; pricing a request is pricing's.
 */
import type { PlatformName } from "../providers/account-types.js";
import { nanosPerToken, type ModelPrice, type PriceRates, type ShippedTable } from "./pricing.js";

/** Where a price came from. */
export type PriceOrigin = "shipped" | "admin";

/** Rates in US dollars per million tokens. */
export interface UsdRates {
  input: number;
  output: number;
  /** A 5-minute cache write. */
  cacheWrite5m: number;
  /** A 1-hour cache write. */
  cacheWrite1h: number;
  cacheRead: number;
}

/** A model's price in US dollars per million tokens; `longPrompt` only when long prompts cost more. */
export interface UsdPrice extends UsdRates {
  longPrompt?: UsdRates & { aboveTokens: number };
}

/** One model's price as kept. */
export interface PriceRecord {
  /** Lower case, as findPricedModel matches it. */
  model: string;
  /** Undefined when the name says no platform served here. */
  platform: PlatformName | undefined;
  source: PriceOrigin;
  price: UsdPrice;
  /** When an admin set it; 0 for a seeded price. */
  updatedAtMs: number;
}

/** A shipped price and the platform of the table it came from. */
export interface ShippedPrice {
  platform: PlatformName;
  price: UsdPrice;
}

/** A rate of an entered price that breaks a rule, named by its proto field, and how. */
export interface PriceProblem {
  field: string;
  problem: string;
}

/** The highest rate accepted, in US dollars per million tokens: anything above is a slip of the decimal point. */
export const MAX_USD_PER_MILLION = 100_000;
/** Longest model id. */
export const MAX_MODEL_ID_LENGTH = 128;

// No "/": findPricedModel strips provider prefixes ("anthropic/", "models/") from requested ids, so an id
// holding one could never be matched.
const MODEL_ID_ALPHABET = /^[a-z0-9._:@-]+$/;

/** Proto field names of the rates, for problems. */
const RATE_FIELDS: Readonly<Record<keyof UsdRates, string>> = {
  input: "input",
  output: "output",
  cacheWrite5m: "cache_write_five_minutes",
  cacheWrite1h: "cache_write_one_hour",
  cacheRead: "cache_read",
};

/** A model id as kept: trimmed, lower case. */
export function normalizeModelId(model: string): string {
  return model.trim().toLowerCase();
}

/** What is wrong with a (normalized) model id; undefined when nothing is. */
export function modelIdProblem(model: string): string | undefined {
  if (model === "") return "must not be empty";
  if (model.length > MAX_MODEL_ID_LENGTH) return `must be at most ${MAX_MODEL_ID_LENGTH} characters`;
  if (!MODEL_ID_ALPHABET.test(model)) return "may hold only letters, digits and . _ : @ -";
  return undefined;
}

/** The first rate of the price that breaks a rule; undefined when it may be kept. */
export function priceProblem(price: UsdPrice): PriceProblem | undefined {
  const rates = (prefix: string, value: UsdRates): PriceProblem | undefined => {
    for (const [key, field] of Object.entries(RATE_FIELDS) as [keyof UsdRates, string][]) {
      const rate = value[key];
      if (!Number.isFinite(rate) || rate < 0) return { field: `${prefix}${field}`, problem: "must be a number of dollars, 0 or more" };
      if (rate > MAX_USD_PER_MILLION) return { field: `${prefix}${field}`, problem: `must be at most ${MAX_USD_PER_MILLION} dollars per million tokens` };
    }
    return undefined;
  };
  const base = rates("rates.", price);
  if (base || price.longPrompt === undefined) return base;
  const { aboveTokens } = price.longPrompt;
  if (!Number.isSafeInteger(aboveTokens) || aboveTokens <= 0) return { field: "long_prompt.above_tokens", problem: "must be a whole number of tokens above 0" };
  return rates("long_prompt.rates.", price.longPrompt);
}

/** The nano-dollar rates a request is priced with. */
export function toModelPrice(price: UsdPrice): ModelPrice {
  const rates = (usd: UsdRates): PriceRates => ({
    input: nanosPerToken(usd.input),
    output: nanosPerToken(usd.output),
    cacheWrite5m: nanosPerToken(usd.cacheWrite5m),
    cacheWrite1h: nanosPerToken(usd.cacheWrite1h),
    cacheRead: nanosPerToken(usd.cacheRead),
  });
  const model: ModelPrice = rates(price);
  if (price.longPrompt) model.longPrompt = { aboveTokens: price.longPrompt.aboveTokens, ...rates(price.longPrompt) };
  return model;
}

/** A parsed table's rates back in US dollars per million tokens. */
export function toUsdPrice(price: ModelPrice): UsdPrice {
  // Nano-dollars per token are kept to a thousandth: dividing by 1000 gives dollars per million, cleaned of float noise.
  const usd = (nanos: number) => Math.round(nanos * 1000) / 1_000_000;
  const rates = (value: PriceRates): UsdRates => ({
    input: usd(value.input),
    output: usd(value.output),
    cacheWrite5m: usd(value.cacheWrite5m),
    cacheWrite1h: usd(value.cacheWrite1h),
    cacheRead: usd(value.cacheRead),
  });
  const result: UsdPrice = rates(price);
  if (price.longPrompt) result.longPrompt = { aboveTokens: price.longPrompt.aboveTokens, ...rates(price.longPrompt) };
  return result;
}

/** Every shipped model's price by model id, with its table's platform; a model in two tables keeps the first. */
export function shippedPrices(tables: readonly ShippedTable[]): ReadonlyMap<string, ShippedPrice> {
  const prices = new Map<string, ShippedPrice>();
  for (const { platform, table } of tables) {
    for (const [model, price] of table.models) if (!prices.has(model)) prices.set(model, { platform, price: toUsdPrice(price) });
  }
  return prices;
}

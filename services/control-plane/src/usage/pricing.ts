/**
 * What a request cost at list prices. The tables (prices.json for Claude,
 * gemini-prices.json for Gemini, openai-prices.json for OpenAI, each with the
 * source of its figures) give US
 * dollars per million tokens per model; costs are computed in integer
 * nano-dollars (1e-9 USD) so counters in Redis add up exactly. A model id
 * matches its longest listed prefix that ends at a "-" or "@" (dated ids,
 * "-v2:0" and "@date" suffixes), after any provider prefix ("anthropic.",
 * "us.anthropic.", "models/"). A model with no price is reported as unpriced,
 * never guessed.
 *
 * A model may have a long-prompt tier (`<rate>_above_<N>k`, e.g. Gemini 2.5
 * Pro above 200k): a request whose prompt (input, cache reads and cache
 * writes) exceeds N thousand tokens is priced at the tier's rates for all its
 * tokens. Thinking tokens are inside output_tokens (usage.proto) and are
 * priced as output with the rest.
 *
 * OpenAI usage arrives in the same shape (the relay reports input_tokens
 * without the cached ones, which are cache_read_input_tokens, and
 * output_tokens with the reasoning ones), so one formula prices every
 * platform; an OpenAI model listed without a cached-input price bills cached
 * tokens as input, and OpenAI reports no cache writes.
 */
import { readFileSync } from "node:fs";
import type { PlatformName } from "../providers/account-types.js";

/** Rates in nano-dollars per token (= USD per million tokens × 1000); whole numbers but for prices finer than $0.001 per million. */
export interface PriceRates {
  input: number;
  output: number;
  /** A 5-minute cache write. */
  cacheWrite5m: number;
  /** A 1-hour cache write. */
  cacheWrite1h: number;
  cacheRead: number;
}

/** The rates of a request whose prompt is longer than `aboveTokens`. */
export interface LongPromptTier extends PriceRates {
  aboveTokens: number;
}

/** Prices of one model; `longPrompt` only for models whose long prompts cost more. */
export interface ModelPrice extends PriceRates {
  longPrompt?: LongPromptTier;
}

/** The parsed price table. */
export interface PriceTable {
  /** Where the figures come from. */
  source: string;
  /** Listed model id → its prices. */
  models: ReadonlyMap<string, ModelPrice>;
}

/** Tokens of one request, as the relay reports them. */
export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  /** Every cache write, 5-minute and 1-hour. */
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  /** Of cacheCreationInputTokens, the 1-hour writes; 0 when unknown. */
  cacheCreation1hInputTokens?: number;
  /** Of outputTokens, those spent thinking; 0 when unknown. Priced as output (they are already in outputTokens). */
  reasoningTokens?: number;
}

/** The cost of one request: priced under a listed model, or unpriced. */
export type RequestCost = { priced: true; pricedAs: string; nanos: number } | { priced: false };

/** Thrown by parsePriceTable when the table is malformed. */
export class PriceTableError extends Error {
  readonly code = "ERR_PRICE_TABLE";
  constructor(message: string) {
    super(message);
    this.name = "PriceTableError";
  }
}

/** Nano-dollars in one US dollar. */
export const NANOS_PER_USD = 1_000_000_000;

/** Nano-dollars to US dollars. */
export function nanosToUsd(nanos: number): number {
  return nanos / NANOS_PER_USD;
}

/** How a table is read. */
export interface PriceTableOptions {
  /**
   * "refuse" (the default): every model needs `cache_write_5m`. "input": a model without it prices cache
   * writes, 5-minute and 1-hour, at its input price (Gemini, whose answers report no cache writes).
   */
  missingCacheWrite?: "refuse" | "input";
  /** "refuse" (the default): every model needs `cache_read`. "input": a model without it prices cache reads at its input price (OpenAI models with no cached-input discount). */
  missingCacheRead?: "refuse" | "input";
}

/** A tier rate: `input_above_200k` is the input rate of prompts over 200,000 tokens. */
const TIER_FIELD = /^(input|output|cache_read|cache_write_5m)_above_(\d+)k$/;

/**
 * Parses the JSON form of a table (see prices.json and gemini-prices.json). Its notice is `source`, or
 * `_about` in a table kept as published.
 */
export function parsePriceTable(json: unknown, options: PriceTableOptions = {}): PriceTable {
  const doc = json as { source?: unknown; _about?: unknown; cache_write_1h_input_multiplier?: unknown; models?: unknown } | null;
  const source = doc?.source ?? doc?._about;
  if (typeof source !== "string" || source === "") throw new PriceTableError("the price table needs a source");
  const multiplier = doc?.cache_write_1h_input_multiplier ?? 2;
  if (typeof multiplier !== "number" || !(multiplier > 0)) throw new PriceTableError("cache_write_1h_input_multiplier must be a positive number");
  if (typeof doc?.models !== "object" || doc.models === null) throw new PriceTableError("the price table needs models");
  const models = new Map<string, ModelPrice>();
  for (const [id, entry] of Object.entries(doc.models as Record<string, Record<string, unknown>>)) {
    const usd = (field: string): number => {
      const value = entry[field];
      if (typeof value !== "number" || !(value >= 0)) throw new PriceTableError(`${id}.${field} must be a non-negative number`);
      return value;
    };
    const writesAtInput = options.missingCacheWrite === "input" && entry.cache_write_5m === undefined;
    const rates = (input: number, output: number, cacheRead: number, cacheWrite5m: number | undefined): PriceRates => ({
      input: nanosPerToken(input),
      output: nanosPerToken(output),
      cacheWrite5m: nanosPerToken(cacheWrite5m ?? input),
      cacheWrite1h: nanosPerToken(writesAtInput ? input : input * multiplier),
      cacheRead: nanosPerToken(cacheRead),
    });
    const input = usd("input");
    const output = usd("output");
    const cacheRead = options.missingCacheRead === "input" && entry.cache_read === undefined ? input : usd("cache_read");
    const cacheWrite5m = writesAtInput ? undefined : usd("cache_write_5m");
    const price: ModelPrice = rates(input, output, cacheRead, cacheWrite5m);
    const thousands = tierThousands(id, entry);
    if (thousands !== undefined) {
      // A rate the tier does not name stays the model's own.
      const above = (field: string, base: number): number => (entry[`${field}_above_${thousands}k`] === undefined ? base : usd(`${field}_above_${thousands}k`));
      const tierWrite5m = cacheWrite5m === undefined ? undefined : above("cache_write_5m", cacheWrite5m);
      price.longPrompt = { aboveTokens: thousands * 1000, ...rates(above("input", input), above("output", output), above("cache_read", cacheRead), tierWrite5m) };
    }
    models.set(id.toLowerCase(), price);
  }
  return { source, models };
}

/** The threshold, in thousands of tokens, of a model's long-prompt rates; undefined when it has none. Every tier rate must name the same one. */
function tierThousands(id: string, entry: Record<string, unknown>): number | undefined {
  let thousands: number | undefined;
  for (const field of Object.keys(entry)) {
    const match = TIER_FIELD.exec(field);
    if (!match) continue;
    const at = Number(match[2]);
    if (!(at > 0) || (thousands !== undefined && at !== thousands)) throw new PriceTableError(`${id}: every *_above_<N>k rate must name the same N > 0`);
    thousands = at;
  }
  return thousands;
}

/** The tables kept next to this module, the platform whose models each prices, and how each is read. */
const BUNDLED_TABLES: readonly { file: string; platform: PlatformName; options: PriceTableOptions }[] = [
  { file: "./prices.json", platform: "claude", options: {} },
  { file: "./gemini-prices.json", platform: "gemini", options: { missingCacheWrite: "input" } },
  { file: "./openai-prices.json", platform: "openai", options: { missingCacheWrite: "input", missingCacheRead: "input" } },
];

/** One table shipped next to this module and the platform whose models it prices. */
export interface ShippedTable {
  platform: PlatformName;
  table: PriceTable;
}

/** Reads every table kept next to this module (Claude's, Gemini's and OpenAI's), each on its own. */
export function loadShippedTables(): ShippedTable[] {
  return BUNDLED_TABLES.map(({ file, platform, options }) => ({
    platform,
    table: parsePriceTable(JSON.parse(readFileSync(new URL(file, import.meta.url), "utf8")), options),
  }));
}

/**
 * Reads one table, or without `url` every table kept next to this module (Claude's, Gemini's and OpenAI's) as one.
 * A model listed twice is a mistake in the files, refused.
 */
export function loadPriceTable(url?: URL, options: PriceTableOptions = {}): PriceTable {
  if (url) return parsePriceTable(JSON.parse(readFileSync(url, "utf8")), options);
  const tables = loadShippedTables().map((shipped) => shipped.table);
  const models = new Map<string, ModelPrice>();
  for (const table of tables) {
    for (const [id, price] of table.models) {
      if (models.has(id)) throw new PriceTableError(`${id} is priced in two tables`);
      models.set(id, price);
    }
  }
  return { source: tables.map((t) => t.source).join("\n"), models };
}

/** The listed model a model id is priced as; undefined when none matches. */
export function findPricedModel(table: PriceTable, model: string): string | undefined {
  const id = model
    .trim()
    .toLowerCase()
    .replace(/^([a-z]{2}\.)?anthropic[./]/, "")
    .replace(/^models\//, "");
  let best: string | undefined;
  for (const listed of table.models.keys()) {
    const matches = id === listed || id.startsWith(`${listed}-`) || id.startsWith(`${listed}@`);
    if (matches && (best === undefined || listed.length > best.length)) best = listed;
  }
  return best;
}

/** The cost of one request in nano-dollars, or unpriced when the model has no price. */
export function priceRequest(table: PriceTable, model: string, tokens: TokenCounts): RequestCost {
  const pricedAs = findPricedModel(table, model);
  const price = pricedAs === undefined ? undefined : table.models.get(pricedAs);
  if (pricedAs === undefined || price === undefined) return { priced: false };
  return { priced: true, pricedAs, nanos: costNanos(price, tokens) };
}

/**
 * input × input price + output × output price + cache writes × write price + cache reads × read price, at the
 * long-prompt tier's rates when the prompt (input + cache reads + cache writes) is longer than the tier's threshold.
 */
export function costNanos(price: ModelPrice, tokens: TokenCounts): number {
  const writes = Math.max(0, tokens.cacheCreationInputTokens);
  const writes1h = Math.min(writes, Math.max(0, tokens.cacheCreation1hInputTokens ?? 0));
  const prompt = tokens.inputTokens + tokens.cacheReadInputTokens + writes;
  const rates: PriceRates = price.longPrompt && prompt > price.longPrompt.aboveTokens ? price.longPrompt : price;
  // Exact for whole-number rates; a rate with a fraction of a nano-dollar is rounded once, here.
  return Math.round(
    tokens.inputTokens * rates.input +
      tokens.outputTokens * rates.output +
      (writes - writes1h) * rates.cacheWrite5m +
      writes1h * rates.cacheWrite1h +
      tokens.cacheReadInputTokens * rates.cacheRead,
  );
}

/** True for Claude Opus models, which the weekly Opus cost limit counts. */
export function isOpusModel(model: string): boolean {
  return /opus/i.test(model);
}

/** USD per million tokens as nano-dollars per token (kept to a thousandth). */
export function nanosPerToken(usdPerMillion: number): number {
  // USD per million tokens × 1000 = nano-dollars per token: a whole number for prices of up to 3 decimals,
  // kept to a thousandth for finer ones ($0.0375 is 37.5), so costNanos rounds once per request.
  return Math.round(usdPerMillion * 1_000_000) / 1000;
}

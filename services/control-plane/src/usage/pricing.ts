/**
 * What a request cost at list prices. The table (prices.json, with the
 * `source` of its figures) gives US dollars per million tokens per model;
 * costs are computed in integer nano-dollars (1e-9 USD) so counters in Redis
 * add up exactly. A model id matches its longest listed prefix that ends at a
 * "-" or "@" (dated ids, "-v2:0" and "@date" suffixes), after any provider
 * prefix ("anthropic.", "us.anthropic."). A model with no price is reported
 * as unpriced, never guessed.
 */
import { readFileSync } from "node:fs";

/** Prices of one model, in nano-dollars per token (= USD per million tokens × 1000). */
export interface ModelPrice {
  input: number;
  output: number;
  /** A 5-minute cache write. */
  cacheWrite5m: number;
  /** A 1-hour cache write. */
  cacheWrite1h: number;
  cacheRead: number;
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

/** Parses the JSON form of the table (see prices.json). */
export function parsePriceTable(json: unknown): PriceTable {
  const doc = json as { source?: unknown; cache_write_1h_input_multiplier?: unknown; models?: unknown } | null;
  if (typeof doc?.source !== "string" || doc.source === "") throw new PriceTableError("the price table needs a source");
  const multiplier = doc.cache_write_1h_input_multiplier ?? 2;
  if (typeof multiplier !== "number" || !(multiplier > 0)) throw new PriceTableError("cache_write_1h_input_multiplier must be a positive number");
  if (typeof doc.models !== "object" || doc.models === null) throw new PriceTableError("the price table needs models");
  const models = new Map<string, ModelPrice>();
  for (const [id, entry] of Object.entries(doc.models as Record<string, Record<string, unknown>>)) {
    const usd = (field: string): number => {
      const value = entry[field];
      if (typeof value !== "number" || !(value >= 0)) throw new PriceTableError(`${id}.${field} must be a non-negative number`);
      return value;
    };
    const input = usd("input");
    models.set(id.toLowerCase(), {
      input: perToken(input),
      output: perToken(usd("output")),
      cacheWrite5m: perToken(usd("cache_write_5m")),
      cacheWrite1h: perToken(input * multiplier),
      cacheRead: perToken(usd("cache_read")),
    });
  }
  return { source: doc.source, models };
}

/** Reads the table kept next to this module (prices.json). */
export function loadPriceTable(url: URL = new URL("./prices.json", import.meta.url)): PriceTable {
  return parsePriceTable(JSON.parse(readFileSync(url, "utf8")));
}

/** The listed model a model id is priced as; undefined when none matches. */
export function findPricedModel(table: PriceTable, model: string): string | undefined {
  const id = model
    .trim()
    .toLowerCase()
    .replace(/^([a-z]{2}\.)?anthropic[./]/, "");
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

/** input × input price + output × output price + cache writes × write price + cache reads × read price. */
export function costNanos(price: ModelPrice, tokens: TokenCounts): number {
  const writes = Math.max(0, tokens.cacheCreationInputTokens);
  const writes1h = Math.min(writes, Math.max(0, tokens.cacheCreation1hInputTokens ?? 0));
  return (
    tokens.inputTokens * price.input +
    tokens.outputTokens * price.output +
    (writes - writes1h) * price.cacheWrite5m +
    writes1h * price.cacheWrite1h +
    tokens.cacheReadInputTokens * price.cacheRead
  );
}

/** True for Claude Opus models, which the weekly Opus cost limit counts. */
export function isOpusModel(model: string): boolean {
  return /opus/i.test(model);
}

function perToken(usdPerMillion: number): number {
  // USD per million tokens × 1000 = nano-dollars per token; every listed price has at most 3 decimals.
  return Math.round(usdPerMillion * 1000);
}

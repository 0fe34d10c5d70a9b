/**
 * Reads a price table in LiteLLM's model_prices_and_context_window.json
 * format (an object of model name → entry with per-token costs in US dollars)
 * into prices per million tokens for our model ids. Pure: keeping the prices
 * is price-store's.
 *
 * An entry is kept only when it is a chat model (`mode` "chat" or
 * "responses"), on a platform served here (its `litellm_provider`, else its
 * name's provider prefix or the name itself, says Anthropic, Gemini or
 * OpenAI), and has input and output costs. A provider prefix ("anthropic/",
 * "gemini/", "openai/", "vertex_ai/") is dropped from the name; a name listed
 * twice keeps the entry without a prefix, else the first. Missing rates follow
 * the shipped tables' rules (pricing.ts): a cache write costs the input price
 * (a 1-hour one twice that on Claude), a cache read the input price. A
 * long-prompt tier is read from `…_above_<N>k_tokens` rates.
 */
import { platformOfModel } from "../models/model-alias.js";
import type { PlatformName } from "../providers/account-types.js";
import type { PriceInput } from "./price-store.js";
import { modelIdProblem, normalizeModelId, priceProblem, type UsdPrice, type UsdRates } from "./price-record.js";

/** Why an entry was left out. */
export type SkipReason = "not a chat model" | "no price" | "not a platform served here" | "not a valid price" | "listed twice";

/** What a table gave. */
export interface LiteLlmImport {
  /** The prices to keep, one per model, sorted by model. */
  prices: PriceInput[];
  /** The entries left out, by name, with why. */
  skipped: { name: string; reason: SkipReason }[];
}

/** Thrown by parseLiteLlmPrices when the document is not a JSON object. */
export class LiteLlmFormatError extends Error {
  readonly code = "ERR_LITELLM_FORMAT";
  constructor(message: string) {
    super(message);
    this.name = "LiteLlmFormatError";
  }
}

const CHAT_MODES = new Set(["chat", "responses"]);
/** LiteLLM provider → our platform. */
const PROVIDERS: Readonly<Record<string, PlatformName>> = {
  anthropic: "claude",
  gemini: "gemini",
  "vertex_ai-language-models": "gemini",
  openai: "openai",
};
const NAME_PREFIX = /^(anthropic|gemini|openai|vertex_ai)\//;
/** The per-token cost fields of each rate. */
const COST_FIELDS: Readonly<Record<keyof UsdRates, string>> = {
  input: "input_cost_per_token",
  output: "output_cost_per_token",
  cacheWrite5m: "cache_creation_input_token_cost",
  cacheWrite1h: "cache_creation_input_token_cost_above_1hr",
  cacheRead: "cache_read_input_token_cost",
};
const TIER_FIELD = /^(input_cost_per_token|output_cost_per_token|cache_creation_input_token_cost|cache_creation_input_token_cost_above_1hr|cache_read_input_token_cost)_above_(\d+)k_tokens$/;

/** Parses the document (its text) into prices and skipped entries. */
export function parseLiteLlmPrices(text: string): LiteLlmImport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new LiteLlmFormatError("is not JSON");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new LiteLlmFormatError("must be a JSON object of model name → entry");
  const skipped: LiteLlmImport["skipped"] = [];
  const kept = new Map<string, { prefixed: boolean; name: string; input: PriceInput }>();
  for (const [name, entry] of Object.entries(doc as Record<string, unknown>)) {
    const read = readEntry(name, entry);
    if ("reason" in read) {
      skipped.push({ name, reason: read.reason });
      continue;
    }
    const prefixed = NAME_PREFIX.test(name);
    const earlier = kept.get(read.input.model);
    if (earlier && (prefixed || !earlier.prefixed)) {
      skipped.push({ name, reason: "listed twice" });
      continue;
    }
    if (earlier) skipped.push({ name: earlier.name, reason: "listed twice" });
    kept.set(read.input.model, { prefixed, name, input: read.input });
  }
  const prices = [...kept.values()].map((k) => k.input).sort((a, b) => (a.model < b.model ? -1 : 1));
  return { prices, skipped };
}

/** Every skip reason with its count, most common first. */
export function countSkipReasons(skipped: LiteLlmImport["skipped"]): { reason: SkipReason; count: number }[] {
  const counts = new Map<SkipReason, number>();
  for (const { reason } of skipped) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1));
}

function readEntry(name: string, value: unknown): { input: PriceInput } | { reason: SkipReason } {
  if (typeof value !== "object" || value === null) return { reason: "not a chat model" };
  const entry = value as Record<string, unknown>;
  if (typeof entry.mode !== "string" || !CHAT_MODES.has(entry.mode)) return { reason: "not a chat model" };
  const model = normalizeModelId(name.replace(NAME_PREFIX, ""));
  const provider = typeof entry.litellm_provider === "string" ? entry.litellm_provider : NAME_PREFIX.exec(name)?.[1];
  const platform = provider === undefined ? platformOfModel(model) : Object.hasOwn(PROVIDERS, provider) ? PROVIDERS[provider] : undefined;
  if (platform === undefined || modelIdProblem(model) !== undefined) return { reason: "not a platform served here" };
  if (entry.input_cost_per_token === undefined || entry.output_cost_per_token === undefined) return { reason: "no price" };
  const price = readPrice(entry, platform);
  if (price === undefined || priceProblem(price) !== undefined) return { reason: "not a valid price" };
  return { input: { model, platform, price } };
}

function readPrice(entry: Record<string, unknown>, platform: PlatformName): UsdPrice | undefined {
  const perMillion = (field: string): number | undefined => {
    const value = entry[field];
    if (value === undefined) return undefined;
    // NaN fails priceProblem; a cost per token × 1e6, rounded to a billionth of a dollar to drop float noise.
    return typeof value === "number" ? Math.round(value * 1e15) / 1e9 : Number.NaN;
  };
  // A tier rate the entry does not name is the model's own; a rate the entry does not name at all follows the defaults.
  const rates = (suffix: string, base?: UsdRates): UsdRates | undefined => {
    const given = (key: keyof UsdRates): number | undefined =>
      perMillion(`${COST_FIELDS[key]}${suffix}`) ?? (base && entry[COST_FIELDS[key]] !== undefined ? base[key] : undefined);
    const input = given("input");
    const output = given("output");
    if (input === undefined || output === undefined) return undefined;
    const cacheWrite5m = given("cacheWrite5m") ?? input;
    const cacheWrite1h = given("cacheWrite1h") ?? (platform === "claude" ? input * 2 : cacheWrite5m);
    const cacheRead = given("cacheRead") ?? input;
    return { input, output, cacheWrite5m, cacheWrite1h, cacheRead };
  };
  const price: UsdPrice | undefined = rates("");
  if (price === undefined) return undefined;
  const thresholds = new Set(Object.keys(entry).flatMap((field) => TIER_FIELD.exec(field)?.[2] ?? []));
  if (thresholds.size > 1) return undefined;
  const [thousands] = thresholds;
  if (thousands !== undefined) {
    const tier = rates(`_above_${thousands}k_tokens`, price);
    if (tier === undefined) return undefined;
    price.longPrompt = { aboveTokens: Number(thousands) * 1000, ...tier };
  }
  return price;
}

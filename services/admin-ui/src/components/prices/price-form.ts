/**
 * The price dialog's form: one model's rates in US dollars per million
 * tokens, and an optional long-prompt tier. The form's own checks catch the
 * common slips (an empty model, a rate that is not a number, a tier without a
 * threshold) with a translated message before the call; the server checks
 * every rule again and what it refuses is shown as it said it.
 */
import type { ModelPrice, PriceRates } from "@claude-relay/proto/admin";

/** The five rates, as typed (text, so an empty box is not read as 0). */
export interface RatesForm {
  input: string;
  output: string;
  cacheWriteFiveMinutes: string;
  cacheWriteOneHour: string;
  cacheRead: string;
}

/** What the form edits. */
export interface PriceFormState {
  model: string;
  rates: RatesForm;
  longPrompt: boolean;
  /** The tier's threshold in tokens. */
  aboveTokens: string;
  longRates: RatesForm;
}

/** The rates in the order the form shows them. */
export const RATE_KEYS: readonly (keyof RatesForm)[] = ["input", "output", "cacheWriteFiveMinutes", "cacheWriteOneHour", "cacheRead"];

/** A message key under `prices.` for the first problem of the form. */
export type PriceFormProblem = "modelRequired" | "rateInvalid" | "aboveTokensInvalid";

/** Rates as numbers, for a request. */
export type RateValues = Omit<PriceRates, "$typeName" | "$unknown">;

/** The SetPrice request of a valid form. */
export interface SetPriceInput {
  model: string;
  rates: RateValues;
  longPrompt?: { aboveTokens: bigint; rates: RateValues };
}

const blankRates = (): RatesForm => ({ input: "", output: "", cacheWriteFiveMinutes: "", cacheWriteOneHour: "", cacheRead: "" });

/** A blank form. */
export function emptyPriceForm(): PriceFormState {
  return { model: "", rates: blankRates(), longPrompt: false, aboveTokens: "200000", longRates: blankRates() };
}

/** The form filled in from a price. */
export function formFromPrice(price: ModelPrice): PriceFormState {
  const text = (rates: PriceRates | undefined): RatesForm =>
    rates ? (Object.fromEntries(RATE_KEYS.map((key) => [key, String(rates[key])])) as unknown as RatesForm) : blankRates();
  return {
    model: price.model,
    rates: text(price.rates),
    longPrompt: price.longPrompt !== undefined,
    aboveTokens: price.longPrompt ? String(price.longPrompt.aboveTokens) : "200000",
    longRates: text(price.longPrompt?.rates),
  };
}

/** A typed rate as a number of dollars; undefined when it is not one (empty, negative, not a number). */
export function parseRate(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "" || !/^\d*\.?\d+$|^\d+\.$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

function toRates(form: RatesForm): RateValues | undefined {
  const values = RATE_KEYS.map((key) => parseRate(form[key]));
  if (values.some((v) => v === undefined)) return undefined;
  const [input, output, cacheWriteFiveMinutes, cacheWriteOneHour, cacheRead] = values as number[];
  return { input: input!, output: output!, cacheWriteFiveMinutes: cacheWriteFiveMinutes!, cacheWriteOneHour: cacheWriteOneHour!, cacheRead: cacheRead! };
}

/** The SetPrice request of the form, or its first problem. */
export function toSetPriceRequest(form: PriceFormState): { ok: true; request: SetPriceInput } | { ok: false; problem: PriceFormProblem } {
  const model = form.model.trim();
  if (model === "") return { ok: false, problem: "modelRequired" };
  const rates = toRates(form.rates);
  if (rates === undefined) return { ok: false, problem: "rateInvalid" };
  if (!form.longPrompt) return { ok: true, request: { model, rates } };
  const above = form.aboveTokens.trim();
  if (!/^[1-9]\d*$/.test(above)) return { ok: false, problem: "aboveTokensInvalid" };
  const longRates = toRates(form.longRates);
  if (longRates === undefined) return { ok: false, problem: "rateInvalid" };
  return { ok: true, request: { model, rates, longPrompt: { aboveTokens: BigInt(above), rates: longRates } } };
}

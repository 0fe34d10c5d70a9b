/**
 * The import dialog's reading of a LiteLLM price table, pasted or picked as a
 * file: it must be a JSON object of model name → entry, and the dialog says
 * how many entries it holds before sending it. Which entries become prices
 * is the server's to decide; it answers with the counts.
 */

/** A message key under `prices.` for why a text cannot be imported. */
export type PriceImportProblem = "importEmpty" | "importNotJson" | "importNotObject";

/** A text ready to send, with its entry count, or why it is not. */
export type PriceImportText = { ok: true; json: string; entries: number } | { ok: false; problem: PriceImportProblem };

/** Reads a pasted or picked text. */
export function readPriceImport(text: string): PriceImportText {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: false, problem: "importEmpty" };
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch {
    return { ok: false, problem: "importNotJson" };
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return { ok: false, problem: "importNotObject" };
  return { ok: true, json: trimmed, entries: Object.keys(doc).length };
}

/**
 * Model aliases, pure: which names may be aliases, which models they may
 * stand for, and the platform a model's own name says. The OpenAI-compatible
 * front door sends `claude-…` and `gemini-…` names to their platform by
 * prefix; any other name (e.g. "gpt-4o") is looked up among the aliases. So
 * an alias never starts with one of those prefixes (it would never be looked
 * up), and its target always does (that prefix is its platform). Storing
 * aliases is model-alias-store's; serving them to a key is served-models'.
 */
import { PLATFORMS, type PlatformName } from "../providers/account-types.js";

/** An alias as stored and served. */
export interface ModelAliasRecord {
  /** The name clients send, e.g. "gpt-4o". */
  alias: string;
  /** The model it stands for, e.g. "claude-sonnet-4-5". */
  targetModel: string;
  /** The platform the target's prefix names. */
  platform: PlatformName;
  updatedAtMs: number;
}

/** The alias table as the hot path reads it: through the per-replica catalog cache (cache/cached-catalog.ts). */
export interface ModelAliasCatalog {
  /** Every alias, sorted by alias. */
  listModelAliases(): Promise<readonly ModelAliasRecord[]>;
}

/** A field of SetModelAlias that breaks a rule, and how, in words safe to show. */
export interface AliasProblem {
  field: "alias" | "target_model";
  problem: string;
}

/** Longest alias, and longest target model. */
export const MAX_MODEL_NAME_LENGTH = 128;

/** The prefix of each platform's model names. */
const MODEL_PREFIXES: Readonly<Record<PlatformName, string>> = Object.freeze({ claude: "claude-", gemini: "gemini-" });

const ALIAS_ALPHABET = /^[A-Za-z0-9._:/-]+$/;
// A target is sent upstream, where Gemini puts it in a URL path (`models/<model>:generateContent`), so it
// takes no "/" and no ":"; "@" stays for dated ids such as "claude-sonnet-4-5@20250929".
const TARGET_ALPHABET = /^[A-Za-z0-9._@-]+$/;

/** The platform a model's name says by its prefix ("claude-", "gemini-"); undefined for any other name. */
export function platformOfModel(model: string): PlatformName | undefined {
  return PLATFORMS.find((platform) => model.startsWith(MODEL_PREFIXES[platform]));
}

/** The verdict on an alias and its target: the target's platform, or the first field that breaks a rule (the alias first). */
export type AliasCheck = { ok: true; platform: PlatformName } | ({ ok: false } & AliasProblem);

/** Checks an alias and its target. */
export function checkModelAlias(alias: string, targetModel: string): AliasCheck {
  const problem = aliasNameProblem(alias);
  if (problem !== undefined) return { ok: false, field: "alias", problem };
  const targetProblem = targetModelProblem(targetModel);
  const platform = platformOfModel(targetModel);
  if (targetProblem !== undefined || platform === undefined) return { ok: false, field: "target_model", problem: targetProblem ?? "names no platform" };
  return { ok: true, platform };
}

/** Why a name cannot be an alias; undefined when it can. */
export function aliasNameProblem(alias: string): string | undefined {
  if (alias === "") return "must not be empty";
  if (alias.length > MAX_MODEL_NAME_LENGTH) return `must be at most ${MAX_MODEL_NAME_LENGTH} characters`;
  if (!ALIAS_ALPHABET.test(alias)) return "may hold only letters, digits and . _ : - /";
  // Refused in any case: "Claude-x" would reach the alias table, but reads as a Claude model name.
  const lower = alias.toLowerCase();
  if (PLATFORMS.some((platform) => lower.startsWith(MODEL_PREFIXES[platform]))) {
    return `must not start with ${quotedPrefixes()}: such names go to their platform by their prefix`;
  }
  return undefined;
}

/** Why a model cannot be an alias's target; undefined when it can. */
export function targetModelProblem(targetModel: string): string | undefined {
  if (targetModel === "") return "must not be empty";
  if (targetModel.length > MAX_MODEL_NAME_LENGTH) return `must be at most ${MAX_MODEL_NAME_LENGTH} characters`;
  const platform = platformOfModel(targetModel);
  if (platform === undefined || targetModel === MODEL_PREFIXES[platform]) return `must start with ${quotedPrefixes()} (the platform that serves it) and name a model`;
  if (!TARGET_ALPHABET.test(targetModel)) return "may hold only letters, digits and . _ @ -";
  return undefined;
}

/** Orders by name, code unit by code unit: the same order on every replica whatever its locale. */
export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function quotedPrefixes(): string {
  return PLATFORMS.map((platform) => `"${MODEL_PREFIXES[platform]}"`).join(" or ");
}

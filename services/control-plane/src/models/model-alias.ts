/**
 * Model aliases, pure: which names may be aliases, which models they may
 * stand for, and the platform a model's own name says. The OpenAI-compatible
 * front door sends `claude-…` and `gemini-…` names to their platform by
 * prefix, whatever the aliases say; so an alias never starts with one of
 * those prefixes (it would never be looked up). OpenAI's own names (`gpt-…`,
 * `o1`, `o3`, `o4`, `codex-…`, `chatgpt-…`) name the OpenAI platform too, but
 * an alias may take such a name and then wins for it: "gpt-4o" standing for
 * a Claude model is served as that Claude model (served-models lists the
 * alias in place of the model). A target always names its platform.
 * Storing aliases is model-alias-store's; serving them to a key is
 * served-models'.
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

/** Each platform's model names: a prefix and at least one character after it, or OpenAI's families. */
const MODEL_NAMES: Readonly<Record<PlatformName, RegExp>> = Object.freeze({
  claude: /^claude-./,
  gemini: /^gemini-./,
  openai: /^(?:(?:gpt|chatgpt|codex)-.|o[134](?:$|-.))/,
});

/** The prefixes an alias may not start with: names that go to their platform whatever the aliases say. */
const RESERVED_PREFIXES: readonly string[] = ["claude-", "gemini-"];

/** How targetModelProblem names the platforms' model names. */
const TARGET_NAMES = '"claude-", "gemini-", "gpt-", "chatgpt-", "codex-", "o1", "o3" or "o4"';

const ALIAS_ALPHABET = /^[A-Za-z0-9._:/-]+$/;
// A target is sent upstream, where Gemini puts it in a URL path (`models/<model>:generateContent`), so it
// takes no "/" and no ":"; "@" stays for dated ids such as "claude-sonnet-4-5@20250929".
const TARGET_ALPHABET = /^[A-Za-z0-9._@-]+$/;

/**
 * The platform a model's own name says ("claude-…", "gemini-…", or OpenAI's "gpt-…", "o3", "o4-mini",
 * "codex-…", "chatgpt-…"); undefined for any other name. An alias of the same name wins over this.
 */
export function platformOfModel(model: string): PlatformName | undefined {
  return PLATFORMS.find((platform) => MODEL_NAMES[platform].test(model));
}

/** The verdict on an alias and its target: the target's platform, or the first field that breaks a rule (the alias first). */
export type AliasCheck = { ok: true; platform: PlatformName } | ({ ok: false } & AliasProblem);

/** Checks an alias and its target. */
export function checkModelAlias(alias: string, targetModel: string): AliasCheck {
  const problem = aliasNameProblem(alias);
  if (problem !== undefined) return { ok: false, field: "alias", problem };
  // An OpenAI name may be an alias, but not of itself: that would only hide the model it names.
  if (alias === targetModel) return { ok: false, field: "target_model", problem: "must not be the alias itself" };
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
  if (RESERVED_PREFIXES.some((prefix) => lower.startsWith(prefix))) {
    return `must not start with ${RESERVED_PREFIXES.map((prefix) => `"${prefix}"`).join(" or ")}: such names go to their platform by their prefix`;
  }
  return undefined;
}

/** Why a model cannot be an alias's target; undefined when it can. */
export function targetModelProblem(targetModel: string): string | undefined {
  if (targetModel === "") return "must not be empty";
  if (targetModel.length > MAX_MODEL_NAME_LENGTH) return `must be at most ${MAX_MODEL_NAME_LENGTH} characters`;
  if (platformOfModel(targetModel) === undefined) return `must start with ${TARGET_NAMES} (the platform that serves it) and name a model`;
  if (!TARGET_ALPHABET.test(targetModel)) return "may hold only letters, digits and . _ @ -";
  return undefined;
}

/** Orders by name, code unit by code unit: the same order on every replica whatever its locale. */
export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

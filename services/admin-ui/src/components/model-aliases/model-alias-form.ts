/**
 * The model alias form's own checks, made before the call so that common
 * slips get a translated message at once: a name that would reach its
 * platform by its prefix, a target that names no platform, an alias added
 * twice. The server checks every rule again (letters allowed, lengths); what
 * it refuses is shown as it said it.
 */
import type { ModelAlias } from "@claude-relay/proto/admin";
import type { PlatformId } from "../platforms/platforms.js";

/** What the form edits. */
export interface ModelAliasFormState {
  alias: string;
  targetModel: string;
}

/** A message key under `modelAliases.` for the first problem of the form. */
export type ModelAliasProblem = "aliasRequired" | "aliasReserved" | "aliasTaken" | "targetRequired" | "targetPlatform";

/**
 * The prefix of the model names of each platform an alias may point at; a model's prefix is its
 * platform. OpenAI's model names share no prefix (gpt-…, o3, codex-…), so none is listed for it.
 */
const MODEL_PREFIXES: Readonly<Partial<Record<PlatformId, string>>> = { claude: "claude-", gemini: "gemini-" };

/** A blank form. */
export function emptyModelAliasForm(): ModelAliasFormState {
  return { alias: "", targetModel: "" };
}

/** The form filled in from an existing alias. */
export function formFromModelAlias(alias: ModelAlias): ModelAliasFormState {
  return { alias: alias.alias, targetModel: alias.targetModel };
}

/** The platform a model's name says by its prefix; undefined when it names none. */
export function platformOfModel(model: string): PlatformId | undefined {
  const name = model.trim();
  return (Object.keys(MODEL_PREFIXES) as PlatformId[]).find((id) => {
    const prefix = MODEL_PREFIXES[id] ?? "";
    return prefix !== "" && name.startsWith(prefix) && name.length > prefix.length;
  });
}

/**
 * The first problem of the form, alias first; undefined when it may be sent. `existing` holds the aliases
 * there are: adding one of them again would silently repoint it, so that is refused unless editing it.
 */
export function modelAliasFormProblem(form: ModelAliasFormState, options: { existing: readonly string[]; editing: boolean }): ModelAliasProblem | undefined {
  const alias = form.alias.trim();
  if (alias === "") return "aliasRequired";
  const lower = alias.toLowerCase();
  if (Object.values(MODEL_PREFIXES).some((prefix) => prefix !== undefined && lower.startsWith(prefix))) return "aliasReserved";
  if (!options.editing && options.existing.includes(alias)) return "aliasTaken";
  if (form.targetModel.trim() === "") return "targetRequired";
  if (platformOfModel(form.targetModel) === undefined) return "targetPlatform";
  return undefined;
}

/** The SetModelAlias request of the form. */
export function toSetModelAliasRequest(form: ModelAliasFormState): { alias: string; targetModel: string } {
  return { alias: form.alias.trim(), targetModel: form.targetModel.trim() };
}

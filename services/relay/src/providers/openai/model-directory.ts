/**
 * Which platform and upstream model a model name of the OpenAI-compatible
 * front door stands for. A name that says its platform (`claude-…`,
 * `gemini-…`) needs no lookup; any other name is looked up among the models
 * the key may use (the control plane's ListModels, which knows the admin's
 * aliases, e.g. `gpt-4o`), cached per key for a few seconds so a client
 * sending an alias costs one control-plane call per key per interval, not
 * one per request. The same listing answers `GET /openai/v1/models`.
 * OpenAI's own names (`gpt-…`, the o-series, …) are looked up too, since an
 * alias may claim one; one the key's listing does not name goes to OpenAI.
 */
import { Platform, type ServedModel } from "@claude-relay/proto/lease";
import type { RelayFailure } from "../../errors.js";

/** What ListModels gave: the models, a refusal, or a failure to ask. */
export type ModelListing = { ok: true; models: readonly ServedModel[] } | { ok: false; failure: RelayFailure };

/** Where a model name goes. */
export type ModelRoute = { ok: true; platform: Platform; upstreamModel: string } | { ok: false; failure: RelayFailure };

/** The directory of one relay. */
export interface ModelDirectory {
  /** The models the key may use, from the cache when fresh. */
  list(keyHash: string): Promise<ModelListing>;
  /** Where `model` goes for this key. */
  resolve(keyHash: string, model: string): Promise<ModelRoute>;
}

/** Options of createModelDirectory. */
export interface ModelDirectoryOptions {
  /** Asks the control plane. */
  fetch(keyHash: string): Promise<ModelListing>;
  /** How long an answer is reused; default 5 s. */
  ttlMs?: number;
  /** Most keys cached at once; the oldest entry goes first. Default 1,000. */
  maxEntries?: number;
  now?: () => number;
}

/** The platform a model's own name says, if it says one. */
export function platformOfModel(model: string): Platform | undefined {
  if (model.startsWith("claude-")) return Platform.CLAUDE;
  if (model.startsWith("gemini-")) return Platform.GEMINI;
  return undefined;
}

/** True for a name OpenAI's models go by: `gpt-…`, `chatgpt-…`, `codex-…`, the o-series (`o3`, `o4-mini`), fine-tunes of them. */
export function isOpenAiModelName(model: string): boolean {
  const name = model.startsWith("ft:") ? model.slice(3) : model;
  return /^(gpt-|chatgpt-|codex-)/.test(name) || /^o\d+(-|$)/.test(name);
}

/** Creates a directory over `options.fetch`. */
export function createModelDirectory(options: ModelDirectoryOptions): ModelDirectory {
  const ttlMs = options.ttlMs ?? 5_000;
  const maxEntries = options.maxEntries ?? 1_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { atMs: number; listing: Promise<ModelListing> }>();

  function list(keyHash: string): Promise<ModelListing> {
    const hit = cache.get(keyHash);
    if (hit !== undefined && now() - hit.atMs < ttlMs) return hit.listing;
    const listing = options.fetch(keyHash);
    cache.delete(keyHash);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(keyHash, { atMs: now(), listing });
    // A failure to ask is not kept: the next request asks again.
    listing.then((answer) => {
      if (!answer.ok && answer.failure.kind !== "refusal") cache.delete(keyHash);
    }, () => cache.delete(keyHash));
    return listing;
  }

  return {
    list,
    async resolve(keyHash, model) {
      const platform = platformOfModel(model);
      if (platform !== undefined) return { ok: true, platform, upstreamModel: model };
      const listing = await list(keyHash);
      if (!listing.ok) return listing;
      const found = listing.models.find((m) => m.id === model);
      if (found === undefined && isOpenAiModelName(model)) return { ok: true, platform: Platform.OPENAI, upstreamModel: model };
      if (found === undefined || found.platform === Platform.UNSPECIFIED) return { ok: false, failure: { kind: "model-not-found", model } };
      return { ok: true, platform: found.platform, upstreamModel: found.upstreamModel };
    },
  };
}

/**
 * The one place providers are registered. The server asks it which provider
 * and route a request goes to; the order decides only between providers that
 * would claim the same path, and none do.
 */
import { createClaudeProvider } from "./claude/claude-provider.js";
import { createGeminiProvider } from "./gemini/gemini-provider.js";
import type { ModelDirectory } from "./openai/model-directory.js";
import { createOpenAiProvider } from "./openai/openai-provider.js";
import { createOpenAiResponsesProvider } from "./openai-responses/responses-provider.js";
import type { MatchedRoute, RelayProvider } from "./provider.js";

/** What providers need from the rest of the relay. */
export interface ProviderDeps {
  /** Where the OpenAI-compatible front door looks up model names. */
  models: ModelDirectory;
}

/** The front doors the relay serves. */
export function createProviders(deps: ProviderDeps): readonly RelayProvider[] {
  return [createClaudeProvider(), createGeminiProvider(), createOpenAiProvider(deps.models), createOpenAiResponsesProvider()];
}

/** The provider and route of a request (`path` without its query), or undefined. */
export function matchRoute(providers: readonly RelayProvider[], method: string, path: string): MatchedRoute | undefined {
  for (const provider of providers) {
    const route = provider.match(method, path);
    if (route !== undefined) return { provider, route };
  }
  return undefined;
}

/** The provider whose shape an answer outside every route takes: the one that owns the path, else the first. */
export function ownerOf(providers: readonly RelayProvider[], path: string): RelayProvider {
  return providers.find((provider) => provider.owns(path)) ?? (providers[0] as RelayProvider);
}

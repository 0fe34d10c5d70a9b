/**
 * The one place the control plane's providers are registered: one account
 * provider per platform, each from its configuration slice.
 */
import { createAccountProviders, type AccountProviders } from "./account-provider.js";
import { CLAUDE_OAUTH_DEFAULTS, createClaudeAccountProvider, type ClaudeAccountsConfig } from "./claude/claude-accounts.js";
import { createGeminiAccountProvider, type GeminiAccountsConfig } from "./gemini/gemini-accounts.js";
import { GEMINI_DEFAULTS } from "./gemini/google-oauth.js";
import { OPENAI_DEFAULTS } from "./openai/chatgpt-oauth.js";
import { createOpenAIAccountProvider, type OpenAIAccountsConfig } from "./openai/openai-accounts.js";

/** Each provider's settings; a provider left out runs on its public defaults. */
export interface ProvidersConfig {
  claude?: ClaudeAccountsConfig;
  gemini?: GeminiAccountsConfig;
  openai?: OpenAIAccountsConfig;
}

/** Every provider, registered. */
export function buildAccountProviders(config: ProvidersConfig = {}): AccountProviders {
  return createAccountProviders({
    claude: createClaudeAccountProvider(config.claude ?? CLAUDE_OAUTH_DEFAULTS),
    gemini: createGeminiAccountProvider(config.gemini ?? GEMINI_DEFAULTS),
    openai: createOpenAIAccountProvider(config.openai ?? OPENAI_DEFAULTS),
  });
}

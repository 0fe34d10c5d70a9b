/**
 * What a Messages API answer means, for every front door a Claude account
 * serves (the Messages API's own, the OpenAI-compatible one).
 */
import type { UpstreamProtocol } from "../provider.js";
import { claudeAccountHeaders, isClaudeFailoverStatus } from "./claude-account-state.js";
import { createClaudeTap } from "./claude-usage-tap.js";

/** The Messages API's protocol. */
export const CLAUDE_PROTOCOL: UpstreamProtocol = {
  isFailoverStatus: isClaudeFailoverStatus,
  createTap: createClaudeTap,
  accountHeaders: claudeAccountHeaders,
};

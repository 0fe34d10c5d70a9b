/**
 * What an OpenAI API or Codex backend answer means, for every front door an
 * OpenAI account serves (Responses, chat completions): one protocol, since
 * the tap tells a Responses event from a chat chunk by its shape.
 */
import type { UpstreamProtocol } from "../provider.js";
import { isOpenAiFailoverStatus, openAiAccountHeaders } from "./openai-account-state.js";
import { createOpenAiTap } from "./openai-usage-tap.js";

/** The OpenAI protocol. */
export const OPENAI_PROTOCOL: UpstreamProtocol = {
  isFailoverStatus: isOpenAiFailoverStatus,
  createTap: createOpenAiTap,
  accountHeaders: openAiAccountHeaders,
};

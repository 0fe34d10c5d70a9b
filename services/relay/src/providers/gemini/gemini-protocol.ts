/**
 * What a Gemini API or Code Assist answer means, for every front door a Gemini
 * account serves (the Gemini API's and Code Assist's own, the OpenAI-compatible one).
 */
import type { UpstreamProtocol } from "../provider.js";
import { geminiAccountHeaders, isGeminiFailoverStatus } from "./gemini-account-state.js";
import { createGeminiTap } from "./gemini-usage-tap.js";

/** The Gemini API's protocol, Code Assist's envelope included. */
export const GEMINI_PROTOCOL: UpstreamProtocol = {
  isFailoverStatus: isGeminiFailoverStatus,
  createTap: createGeminiTap,
  accountHeaders: geminiAccountHeaders,
};

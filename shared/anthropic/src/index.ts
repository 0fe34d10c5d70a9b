/**
 * The Anthropic wire format: SSE parsing, usage extraction, error bodies and header filtering.
 */
export { createSseParser } from "./sse-parser.js";
export { createUsageTracker, usageFromMessage } from "./usage.js";
export { errorBody, isAnthropicErrorType, sseErrorEvent, statusForErrorType } from "./error-body.js";
export { clientResponseHeaders, upstreamRequestHeaders } from "./headers.js";

export type { SseEvent, SseParser } from "./sse-parser.js";
export type { UsageTotals, UsageTracker } from "./usage.js";
export type { AnthropicErrorType } from "./error-body.js";

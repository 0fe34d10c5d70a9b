/**
 * The Gemini wire format: usage from usageMetadata, error bodies in Google's shape and what
 * an upstream error says, the JSON-array stream, and the Code Assist envelope.
 */
export { createGeminiUsageTracker, usageFromGeminiBody } from "./usage.js";
export { createJsonArraySplitter } from "./json-array-stream.js";
export { googleErrorBody, googleStatusForHttp, httpStatusOf, isGoogleStatus, sseGoogleErrorEvent } from "./error-body.js";
export { googleErrorFromObject, nextPacificMidnightMs, parseGoogleError } from "./error-details.js";
export { readCodeAssistRequest, replaceCodeAssistProject, unwrapCodeAssistResponse, wrapCodeAssistRequest, wrapCodeAssistResponse } from "./code-assist.js";
export { readCodeAssistCountTokens, wrapCodeAssistCountTokens } from "./code-assist-count-tokens.js";

export type { GeminiUsageTotals, GeminiUsageTracker } from "./usage.js";
export type { JsonArraySplitter } from "./json-array-stream.js";
export type { GoogleStatus } from "./error-body.js";
export type { GoogleErrorInfo, QuotaScope } from "./error-details.js";
export type { CodeAssistRequestInput, CodeAssistRequestRead } from "./code-assist.js";
export type { CodeAssistCountTokensRead } from "./code-assist-count-tokens.js";

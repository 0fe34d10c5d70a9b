/**
 * The Gemini wire format: usage from usageMetadata, error bodies in Google's shape, the JSON-array
 * stream, and the Code Assist envelope.
 */
export {};

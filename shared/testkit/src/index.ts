export { freePort } from "./free-port.js";
export { RedisNotInstalledError, startRedis, waitForPing } from "./redis-server.js";
export { MockAnthropicError, startMockAnthropic } from "./mock-anthropic.js";
export { DEFAULT_MOCK_MODEL, DEFAULT_MOCK_TEXT, mockInputTokens, mockOutputTokens } from "./mock-messages.js";
export { MockResponseClosedError } from "./mock-responder.js";
export type { StartRedisOptions, TestRedis } from "./redis-server.js";
export type { MockAnthropic, MockAnthropicOptions, MockReply, RecordedRequest } from "./mock-anthropic.js";
export type { MockUsage } from "./mock-messages.js";
export type { MockChunking } from "./mock-responder.js";

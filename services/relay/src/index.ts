/**
 * The relay as a library, for tools that run it in-process; the process entry is main.ts.
 */
export { buildRelay } from "./app.js";
export { relayConfigSchema } from "./config.js";
export type { Relay, RelayOverrides } from "./app.js";
export type { RelayConfig } from "./config.js";

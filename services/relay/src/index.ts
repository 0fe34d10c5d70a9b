/**
 * The relay as a library, for tools that run it in-process; the process entry is main.ts.
 */
export { buildRelay } from "./app.js";
// The relay's lease client, for tools that call the lease service exactly as the relay does.
export { createLeaseClient } from "./control-plane/lease-client.js";
export type { AcquireResult, LeaseClient, LeaseClientOptions } from "./control-plane/lease-client.js";
export { relayConfigSchema } from "./config.js";
export type { Relay, RelayOverrides } from "./app.js";
export type { RelayConfig } from "./config.js";

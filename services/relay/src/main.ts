/**
 * The relay process: configuration → logger → relay → listen; SIGTERM or SIGINT
 * drains (see Relay.close) and exits 0, a bad configuration prints every
 * problem and exits 1.
 */
import { createRequire } from "node:module";
import { ConfigError, loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { buildRelay } from "./app.js";
import { relayConfigSchema } from "./config.js";

async function main(): Promise<void> {
  const config = loadConfig(relayConfigSchema, process.env);
  const { version } = createRequire(import.meta.url)("../package.json") as { version: string };
  const log = createLogger({ service: "relay", version, level: config.LOG_LEVEL, buffered: true });
  const relay = buildRelay(config, log);
  await relay.start();
  const stop = (signal: NodeJS.Signals): void => {
    log.info({ signal, drainMs: config.RELAY_DRAIN_MS }, "shutting down");
    // The drain is bounded; a close that still hangs past it must not keep the process.
    setTimeout(() => {
      log.error("shutdown did not finish in time");
      process.exit(1);
    }, config.RELAY_DRAIN_MS + 15_000).unref();
    relay.close({ drainMs: config.RELAY_DRAIN_MS }).then(() => process.exit(0), (error: unknown) => {
      log.error({ err: error }, "shutdown failed");
      process.exit(1);
    });
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});

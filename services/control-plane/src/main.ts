/** Entry point: config → logger → control plane → start; SIGTERM/SIGINT → close. */
import { createRequire } from "node:module";
import { ConfigError, loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { buildControlPlane } from "./app.js";
import { controlPlaneConfigSchema, type ControlPlaneConfig } from "./config.js";

let config: ControlPlaneConfig;
try {
  config = loadConfig(controlPlaneConfigSchema, process.env);
} catch (err) {
  if ((err as ConfigError).code !== "ERR_CONFIG") throw err;
  process.stderr.write(`control-plane: ${(err as ConfigError).message}\n`);
  process.exit(1);
}
const { version } = createRequire(import.meta.url)("../package.json") as { version: string };
const log = createLogger({ service: "control-plane", version, level: config.LOG_LEVEL, buffered: true });
const app = buildControlPlane(config, log);
const stop = (signal: string) => {
  log.info({ signal }, "control plane stopping");
  app.close().then(() => process.exit(0), (err: unknown) => (log.error({ err }, "close failed"), process.exit(1)));
};
process.once("SIGTERM", () => stop("SIGTERM"));
process.once("SIGINT", () => stop("SIGINT"));
try {
  const ports = await app.start();
  log.info({ host: config.CONTROL_PLANE_HOST, ...ports }, "control plane started");
} catch (err) {
  log.fatal({ err }, "control plane failed to start");
  await app.close();
  process.exit(1);
}

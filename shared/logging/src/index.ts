export { createLogger, REDACT_PATHS } from "./create-logger.js";
export type { Logger, LoggerConfig } from "./create-logger.js";

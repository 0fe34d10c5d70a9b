export { createLogger, REDACT_PATHS, scalarLineLogger } from "./create-logger.js";
export type { Logger, LoggerConfig, ScalarFields, ScalarLineLogger } from "./create-logger.js";

import pino, { type Logger, type LoggerOptions } from "pino";

/** Logger handed to every module; children carry request-scoped bindings. */
export type { Logger } from "pino";

/** Options of createLogger. */
export interface LoggerConfig {
  service: string;
  version?: string;
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them. */
  destination?: pino.DestinationStream;
  /**
   * Stdout only: gather lines and write them in 4 KB batches, at most BUFFERED_FLUSH_MS
   * after they were logged, and at once when the process exits. A service that logs a
   * line per request otherwise pays one write system call per line.
   */
  buffered?: boolean;
}

/** How long a buffered line may wait for its batch. */
export const BUFFERED_FLUSH_MS = 250;

/**
 * Header names and fields that carry credentials. They are censored wherever
 * they appear in a logged object, as a second line of defence behind the
 * Secret type.
 */
export const REDACT_PATHS = [
  "password",
  "*.password",
  "token",
  "*.token",
  "apiKey",
  "*.apiKey",
  "credential",
  "*.credential",
  "accessToken",
  "*.accessToken",
  "refreshToken",
  "*.refreshToken",
  'headers["x-api-key"]',
  "headers.authorization",
  "headers.cookie",
  '*.headers["x-api-key"]',
  "*.headers.authorization",
  "*.headers.cookie",
];

/** A pino logger with credential redaction and service/version bindings, nothing else. */
export function createLogger(config: LoggerConfig): Logger {
  const options: LoggerOptions = {
    level: config.level ?? "info",
    base: { service: config.service, version: config.version },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (config.destination) return pino(options, config.destination);
  if (!config.buffered) return pino(options);
  // Not synchronous, so pino writes what is left when the process exits.
  const logger = pino(options, pino.destination({ dest: 1, sync: false, minLength: 4096 }));
  setInterval(() => logger.flush(), BUFFERED_FLUSH_MS).unref();
  return logger;
}

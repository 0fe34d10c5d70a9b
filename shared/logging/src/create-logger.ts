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

/** The fields of a line written by a `scalarLineLogger`: nothing nested, so nothing a redaction path could match. */
export type ScalarFields = Record<string, string | number | boolean | undefined>;

/** A logger for one hot line whose fields are all scalars: the redaction is skipped. */
export interface ScalarLineLogger {
  info(fields: ScalarFields, msg: string): void;
  warn(fields: ScalarFields, msg: string): void;
}

/**
 * The same logger (bindings, level, destination) without redaction, for a line
 * written on every request: redaction walks each logged object against every
 * path, about 20 µs a line, and a line of scalars has no nested header or
 * credential object for it to find. The type admits scalars only.
 */
export function scalarLineLogger(logger: Logger): ScalarLineLogger {
  return logger.child({}, { redact: [] });
}

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

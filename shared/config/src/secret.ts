import { inspect } from "node:util";

/**
 * A value that must never reach a log line or an error message. It prints as
 * `[redacted]` through every path (String, JSON, util.inspect); the raw value
 * comes out only through `reveal()`.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The raw value. Call it only where the secret is used, never to log it. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return "[redacted]";
  }

  toJSON(): string {
    return "[redacted]";
  }

  [inspect.custom](): string {
    return "[redacted]";
  }
}

/** Thrown by a command when its arguments are wrong; main prints the message and exits 2. */
export class UsageError extends Error {
  readonly code = "ERR_USAGE";
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

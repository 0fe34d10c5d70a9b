/**
 * What the admin sees when a call fails. The server's own message is shown as
 * it came (an InvalidArgument names the field to fix), without the
 * "[invalid_argument]" prefix ConnectError adds.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** Thrown by useClient when no transport was provided to the component tree. */
export class MissingTransportError extends Error {
  /** Stable code to match on. */
  readonly code = "ERR_ADMIN_UI_NO_TRANSPORT";
  override readonly name = "MissingTransportError";

  constructor() {
    super("no admin transport provided: call app.provide(transportKey, transport)");
  }
}

/** The message to show for a failed call: the server's text verbatim when there is one. */
export function errorMessage(err: unknown): string {
  if (err instanceof ConnectError) return err.rawMessage !== "" ? err.rawMessage : Code[err.code];
  if (err instanceof Error) return err.message;
  return String(err);
}

/** True when the call failed because of a missing or wrong credential. */
export function isUnauthenticated(err: unknown): boolean {
  return err instanceof ConnectError && err.code === Code.Unauthenticated;
}

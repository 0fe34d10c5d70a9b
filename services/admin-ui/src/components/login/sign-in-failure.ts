/**
 * What the login page says when a sign-in fails: one message for a wrong
 * username or password, the wait when failed sign-ins are being limited (from
 * the SignInThrottled detail, else the Retry-After header), and the server's
 * own text for anything else.
 */
import { SignInThrottledSchema } from "@claude-relay/proto/admin";
import { Code, ConnectError } from "@connectrpc/connect";
import { errorMessage } from "../../api/errors.js";

/** Why a sign-in failed, as the page shows it. */
export type SignInFailure =
  | { kind: "invalid-credentials" }
  | { kind: "throttled"; retryAfterSeconds: number }
  | { kind: "other"; message: string };

/** Classifies the error of a failed Login call. */
export function signInFailure(err: unknown): SignInFailure {
  if (err instanceof ConnectError && err.code === Code.Unauthenticated) return { kind: "invalid-credentials" };
  if (err instanceof ConnectError && err.code === Code.ResourceExhausted) {
    const fromDetail = err.findDetails(SignInThrottledSchema)[0]?.retryAfterSeconds ?? 0;
    const fromHeader = Number(err.metadata.get("retry-after") ?? 0);
    const seconds = fromDetail > 0 ? fromDetail : Number.isInteger(fromHeader) && fromHeader > 0 ? fromHeader : 0;
    if (seconds > 0) return { kind: "throttled", retryAfterSeconds: seconds };
  }
  return { kind: "other", message: errorMessage(err) };
}

/** "in 15 minutes" / "15分钟后": the wait in `locale`, in seconds below a minute, else whole minutes rounded up. */
export function retryWhen(seconds: number, locale: string): string {
  const format = new Intl.RelativeTimeFormat(locale, { numeric: "always" });
  return seconds < 60 ? format.format(seconds, "second") : format.format(Math.ceil(seconds / 60), "minute");
}

/**
 * The change-password form's own checks, made before the call so that common
 * slips get a translated message at once. The server checks again; whatever
 * it refuses is shown as it said it. Lengths count characters after NFKC, as
 * the server does.
 */

/** Fewest characters the server accepts for a new password. */
export const MIN_PASSWORD_LENGTH = 12;

/** What the form edits. */
export interface ChangePasswordFields {
  current: string;
  next: string;
  confirm: string;
}

/** A message key under `password.` for the first problem, or undefined when the form may be sent. */
export type PasswordProblem = "currentRequired" | "tooShort" | "mismatch" | "unchanged";

/** A blank form. */
export function emptyPasswordFields(): ChangePasswordFields {
  return { current: "", next: "", confirm: "" };
}

/** The first problem of the form, in the order the fields appear. */
export function passwordProblem({ current, next, confirm }: ChangePasswordFields): PasswordProblem | undefined {
  if (current === "") return "currentRequired";
  if ([...next.normalize("NFKC")].length < MIN_PASSWORD_LENGTH) return "tooShort";
  if (next !== confirm) return "mismatch";
  if (next.normalize("NFKC") === current.normalize("NFKC")) return "unchanged";
  return undefined;
}

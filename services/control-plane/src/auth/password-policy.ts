/**
 * What a new admin password must be. The rule is checked where a password is
 * chosen (ChangePassword); the length counts characters after the same NFKC
 * normalization the hash uses, so what is counted is what is hashed.
 */

/** Fewest characters a new admin password may have. */
export const MIN_PASSWORD_LENGTH = 12;

/** Most characters a new admin password may have; longer input is refused before it is hashed. */
export const MAX_PASSWORD_LENGTH = 1024;

/** Why a new password is refused, as a field message for the caller; undefined when it is fine. */
export function checkNewPassword(newPassword: string, currentPassword: string): string | undefined {
  const length = [...newPassword.normalize("NFKC")].length;
  if (length < MIN_PASSWORD_LENGTH) return `new_password: must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (length > MAX_PASSWORD_LENGTH) return `new_password: must be at most ${MAX_PASSWORD_LENGTH} characters`;
  if (newPassword.trim() === "") return "new_password: must not be blank";
  if (newPassword.normalize("NFKC") === currentPassword.normalize("NFKC")) return "new_password: must differ from the current password";
  return undefined;
}

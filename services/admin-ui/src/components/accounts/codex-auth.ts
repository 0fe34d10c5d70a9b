/**
 * The check made on a pasted Codex sign-in file (~/.codex/auth.json) before
 * it is sent: JSON, and holding ChatGPT sign-in tokens (`tokens.access_token`
 * or `tokens.refresh_token`). A file from a Codex signed in with an API key
 * holds only `OPENAI_API_KEY`; that key belongs in an OpenAI API key account,
 * which the message says. The server reads the file itself; the text is never
 * repeated in a message.
 */

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const present = (value: unknown): boolean => typeof value === "string" && value !== "";

/** Why a pasted auth.json cannot be right, as a message key; undefined when it may be. */
export function codexAuthProblem(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "accountForm.authJsonNotJson";
  }
  if (!isObject(parsed)) return "accountForm.authJsonNotJson";
  const tokens = parsed.tokens;
  if (isObject(tokens) && (present(tokens.access_token) || present(tokens.refresh_token))) return undefined;
  return present(parsed.OPENAI_API_KEY) ? "accountForm.authJsonApiKeyOnly" : "accountForm.authJsonNoToken";
}

/**
 * What an admin pastes after signing in, read into the code to exchange. A
 * bare code passes as it is (Claude's "code#state" too: the server splits
 * it). A whole redirected address, such as the
 * `http://localhost:1455/auth/callback?code=…&state=…` page a ChatGPT
 * sign-in lands on, gives its `code` and `state` parameters, or the `error`
 * the provider sent back instead. Pure; nothing here is logged or shown.
 */

/** A paste, read. */
export type OAuthPaste =
  | { kind: "empty" }
  /** `state` is set when the paste carried one (a redirected address). */
  | { kind: "code"; code: string; state?: string }
  /** The provider sent the browser back with an error (e.g. "access_denied") rather than a code. */
  | { kind: "error"; error: string };

function asUrl(text: string): URL | undefined {
  if (!/^https?:\/\//i.test(text)) return undefined;
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Reads a pasted code or redirected address; an address without a code or error reads as the code it is. */
export function parseOAuthPaste(pasted: string): OAuthPaste {
  const text = pasted.trim();
  if (text === "") return { kind: "empty" };
  const url = asUrl(text);
  // Some providers put the answer in the fragment instead of the query.
  const params = url === undefined ? undefined : url.searchParams.has("code") || url.searchParams.has("error") ? url.searchParams : new URLSearchParams(url.hash.slice(1));
  const code = params?.get("code")?.trim();
  if (code) {
    const state = params?.get("state")?.trim();
    return state ? { kind: "code", code, state } : { kind: "code", code };
  }
  const error = params?.get("error")?.trim();
  if (error) return { kind: "error", error };
  return { kind: "code", code: text };
}

/**
 * The signed-in admin's session: the bearer token from AuthService.Login and
 * when it expires, kept in localStorage so a reload or a deep link stays
 * signed in. The server stays the judge: any Unauthenticated answer clears it.
 */
import { defineStore } from "pinia";
import { ref } from "vue";

/** The localStorage key holding the session. */
export const SESSION_STORAGE_KEY = "claude-relay.admin.session";

interface StoredSession {
  token: string;
  /** Milliseconds since the epoch; 0 when the server gave no expiry. */
  expiresAtMs: number;
}

function readStored(): StoredSession | undefined {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(SESSION_STORAGE_KEY) ?? "null");
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const { token, expiresAtMs } = parsed as Partial<StoredSession>;
    if (typeof token !== "string" || token === "" || typeof expiresAtMs !== "number") return undefined;
    return { token, expiresAtMs };
  } catch {
    return undefined;
  }
}

/** The session store: `token`, `expiresAtMs`, `isSignedIn()`, `signIn()`, `clear()`. */
export const useSessionStore = defineStore("session", () => {
  const stored = readStored();
  const token = ref(stored?.token ?? "");
  const expiresAtMs = ref(stored?.expiresAtMs ?? 0);

  /** True while a token is held and not past its expiry. */
  function isSignedIn(now: number = Date.now()): boolean {
    return token.value !== "" && (expiresAtMs.value === 0 || expiresAtMs.value > now);
  }

  /** Keeps a new session from Login. */
  function signIn(newToken: string, newExpiresAtMs: number): void {
    token.value = newToken;
    expiresAtMs.value = newExpiresAtMs;
    localStorage.setItem(SESSION_STORAGE_KEY, JSON.stringify({ token: newToken, expiresAtMs: newExpiresAtMs }));
  }

  /** Forgets the session (sign-out, or the server refused the token). */
  function clear(): void {
    token.value = "";
    expiresAtMs.value = 0;
    localStorage.removeItem(SESSION_STORAGE_KEY);
  }

  return { token, expiresAtMs, isSignedIn, signIn, clear };
});

/** The session store instance. */
export type SessionStore = ReturnType<typeof useSessionStore>;

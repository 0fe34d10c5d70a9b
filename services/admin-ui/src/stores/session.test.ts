import { createPinia, setActivePinia } from "pinia";
import { beforeEach, describe, expect, it } from "vitest";
import { SESSION_STORAGE_KEY, useSessionStore } from "./session.js";

beforeEach(() => {
  localStorage.clear();
  setActivePinia(createPinia());
});

describe("session store", () => {
  it("starts signed out when nothing is stored", () => {
    const session = useSessionStore();
    expect(session.token).toBe("");
    expect(session.isSignedIn()).toBe(false);
  });

  it("keeps a signed-in session in localStorage and reads it back in a new store", () => {
    const expiresAtMs = Date.now() + 60_000;
    useSessionStore().signIn("tok-123", expiresAtMs);
    expect(JSON.parse(localStorage.getItem(SESSION_STORAGE_KEY) ?? "null")).toEqual({ token: "tok-123", expiresAtMs });

    setActivePinia(createPinia());
    const restored = useSessionStore();
    expect(restored.token).toBe("tok-123");
    expect(restored.expiresAtMs).toBe(expiresAtMs);
    expect(restored.isSignedIn()).toBe(true);
  });

  it("counts a session past its expiry as signed out", () => {
    const session = useSessionStore();
    session.signIn("tok", 1_000);
    expect(session.isSignedIn(999)).toBe(true);
    expect(session.isSignedIn(1_000)).toBe(false);
  });

  it("treats a session without an expiry as valid until the server refuses it", () => {
    const session = useSessionStore();
    session.signIn("tok", 0);
    expect(session.isSignedIn()).toBe(true);
  });

  it("forgets the session in memory and in storage on clear", () => {
    const session = useSessionStore();
    session.signIn("tok", Date.now() + 60_000);
    session.clear();
    expect(session.isSignedIn()).toBe(false);
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
  });

  it("ignores a corrupt stored value", () => {
    localStorage.setItem(SESSION_STORAGE_KEY, "{not json");
    expect(useSessionStore().isSignedIn()).toBe(false);
    setActivePinia(createPinia());
    localStorage.setItem(SESSION_STORAGE_KEY, JSON.stringify({ token: 42, expiresAtMs: "soon" }));
    expect(useSessionStore().token).toBe("");
  });
});

/**
 * The admin's UI preferences, remembered in localStorage: the language and the
 * relay URL the "Connect your client" commands are filled in with.
 */
import { defineStore } from "pinia";
import { ref, watch } from "vue";
import { isAppLocale, type AppLocale } from "../i18n/index.js";

/** The localStorage key of the language. */
export const LOCALE_STORAGE_KEY = "claude-relay.admin.locale";
/** The localStorage key of the relay URL. */
export const RELAY_URL_STORAGE_KEY = "claude-relay.admin.relay-url";

/** The relay's address as seen from this browser when nothing else was set: same host, port 8080. */
export function defaultRelayUrl(hostname: string = location.hostname): string {
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return `http://${host}:8080`;
}

function initialLocale(): AppLocale {
  const stored = localStorage.getItem(LOCALE_STORAGE_KEY);
  if (stored !== null && isAppLocale(stored)) return stored;
  return navigator.language.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

/** The preferences store: `locale` and `relayUrl`, each saved as it changes. */
export const usePreferencesStore = defineStore("preferences", () => {
  const locale = ref<AppLocale>(initialLocale());
  const relayUrl = ref(localStorage.getItem(RELAY_URL_STORAGE_KEY) || defaultRelayUrl());

  watch(locale, (value) => localStorage.setItem(LOCALE_STORAGE_KEY, value));
  watch(relayUrl, (value) => {
    const trimmed = value.trim();
    if (trimmed === "") localStorage.removeItem(RELAY_URL_STORAGE_KEY);
    else localStorage.setItem(RELAY_URL_STORAGE_KEY, trimmed);
  });

  return { locale, relayUrl };
});

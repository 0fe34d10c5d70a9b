/**
 * The UI's languages. Every visible string comes from `en.ts` or `zh-CN.ts`;
 * both hold the same keys (checked by messages.test.ts).
 */
import { createI18n } from "vue-i18n";
import { en } from "./en.js";
import { zhCN } from "./zh-CN.js";

/** The languages the UI speaks. */
export const APP_LOCALES = ["en", "zh-CN"] as const;

/** One of APP_LOCALES. */
export type AppLocale = (typeof APP_LOCALES)[number];

/** True for a supported language tag. */
export function isAppLocale(value: string): value is AppLocale {
  return (APP_LOCALES as readonly string[]).includes(value);
}

/** The message catalogues by language. */
export const messages = { en, "zh-CN": zhCN } satisfies Record<AppLocale, unknown>;

/** The vue-i18n instance (Composition API mode) starting in `locale`. */
export function createAppI18n(locale: AppLocale) {
  return createI18n({ legacy: false, locale, fallbackLocale: "en", messages });
}

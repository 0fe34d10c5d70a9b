/**
 * Spans of time as people read them ("4 min 05 s", "2 h 10 min"), in the
 * catalogue's words: the numbers are computed here, the units come from the
 * `duration.*` messages so both languages stay in the catalogues.
 */

/** A translate function, as `useI18n().t` or `i18n.global.t`. */
export type Translate = (key: string, named: Record<string, unknown>) => string;

/** A span split into whole units; seconds are rounded up so "0 s left" never shows while time remains. */
export interface DurationParts {
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

/** Splits `ms` (negative counts as 0) into days, hours, minutes and seconds. */
export function durationParts(ms: number): DurationParts {
  let rest = Math.max(0, Math.ceil(ms / 1000));
  const days = Math.floor(rest / 86_400);
  rest -= days * 86_400;
  const hours = Math.floor(rest / 3_600);
  rest -= hours * 3_600;
  const minutes = Math.floor(rest / 60);
  return { days, hours, minutes, seconds: rest - minutes * 60 };
}

/** `ms` in its two largest units, e.g. "1 d 3 h", "2 h 5 min", "4 min 5 s", "9 s". */
export function formatDuration(ms: number, t: Translate): string {
  const { days: d, hours: h, minutes: m, seconds: s } = durationParts(ms);
  if (d > 0) return t("duration.days", { d, h });
  if (h > 0) return t("duration.hours", { h, m });
  if (m > 0) return t("duration.minutes", { m, s });
  return t("duration.seconds", { s });
}

/**
 * The UTC periods usage is counted in, pure: days ("YYYY-MM-DD"), hours
 * ("YYYY-MM-DDTHH") and weeks (named by their Monday). Limits that reset with
 * a period (daily cost, weekly Opus cost) take their retry hints from here.
 */

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC day of a time, "YYYY-MM-DD". */
export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The UTC hour of a time, "YYYY-MM-DDTHH". */
export function hourOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13);
}

/** The Monday (UTC) that starts the week of a time, "YYYY-MM-DD". */
export function weekStartOf(ms: number): string {
  return dayOf(weekStartMs(ms));
}

/** Milliseconds from `ms` to the next UTC midnight. */
export function msUntilDayEnd(ms: number): number {
  return DAY_MS - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
}

/** Milliseconds from `ms` to the next Monday 00:00 UTC. */
export function msUntilWeekEnd(ms: number): number {
  return weekStartMs(ms) + 7 * DAY_MS - ms;
}

/** Parses "YYYY-MM-DD" to the ms of its UTC midnight; undefined when it is not a real day. */
export function parseDay(day: string): number | undefined {
  if (!DAY_PATTERN.test(day)) return undefined;
  const ms = Date.parse(`${day}T00:00:00.000Z`);
  return Number.isNaN(ms) || dayOf(ms) !== day ? undefined : ms;
}

/** Every day from `from` to `to`, both included, oldest first; empty when `to` is before `from`. */
export function daysBetween(from: string, to: string): string[] {
  const start = parseDay(from);
  const end = parseDay(to);
  if (start === undefined || end === undefined) return [];
  const days: string[] = [];
  for (let ms = start; ms <= end; ms += DAY_MS) days.push(dayOf(ms));
  return days;
}

/** The 24 hours of a day, "YYYY-MM-DDTHH", 00 first. */
export function hoursOf(day: string): string[] {
  return Array.from({ length: 24 }, (_, h) => `${day}T${String(h).padStart(2, "0")}`);
}

function weekStartMs(ms: number): number {
  const midnight = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
  // getUTCDay: 0 = Sunday … 6 = Saturday; weeks start on Monday.
  const sinceMonday = (new Date(midnight).getUTCDay() + 6) % 7;
  return midnight - sinceMonday * DAY_MS;
}

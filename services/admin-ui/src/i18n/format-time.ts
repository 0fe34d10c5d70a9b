import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

/** A timestamp as a short local date and time in `locale`; undefined when the field is unset. */
export function formatTime(ts: Timestamp | undefined, locale: string): string | undefined {
  if (ts === undefined) return undefined;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(timestampDate(ts));
}

/**
 * Numbers as the dashboard and the lists show them, in the page's language:
 * US dollars (list prices), whole counts, and large counts in short form
 * ("12.3K", "1.2万").
 */

/** US dollars: cents for a dollar or more, up to four decimals below, so small spends do not read as $0.00. */
export function formatUsd(usd: number, locale: string): string {
  const small = Math.abs(usd) > 0 && Math.abs(usd) < 1;
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency: "USD",
    minimumFractionDigits: 2,
    maximumFractionDigits: small ? 4 : 2,
  }).format(usd);
}

/** A whole count with the language's grouping, e.g. "12,345". */
export function formatCount(n: number | bigint, locale: string): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(n);
}

/** A count in short form when large, e.g. "12.3K" (en) or "1.2万" (zh-CN); exact below 10,000. */
export function formatCompact(n: number | bigint, locale: string): string {
  if (Math.abs(Number(n)) < 10_000) return formatCount(n, locale);
  return new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 }).format(n);
}

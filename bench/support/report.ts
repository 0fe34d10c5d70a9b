/**
 * How the benchmarks print: aligned tables, numbers with at most three decimals,
 * the machine they ran on, and the single machine-readable `RESULT` line that
 * ends each run.
 */
import { cpus, loadavg, totalmem } from "node:os";

/** A cell of a report table. */
export type Cell = string | number;

/** A number with at most `decimals` decimals and no trailing zeros; "n/a" when it is not finite. */
export function formatNumber(value: number, decimals = 3): string {
  if (!Number.isFinite(value)) return "n/a";
  const fixed = value.toFixed(decimals);
  const trimmed = fixed.includes(".") ? fixed.replace(/\.?0+$/, "") : fixed;
  return trimmed === "-0" ? "0" : trimmed;
}

/**
 * A plain-text table: a header row, a rule, then the rows, each column padded to its
 * widest cell. The first `labelColumns` columns are left-aligned, the figures after them right-aligned.
 */
export function formatTable(columns: readonly string[], rows: readonly (readonly Cell[])[], labelColumns = 1): string {
  const text = rows.map((row) => columns.map((_, i) => cellText(row[i])));
  const widths = columns.map((name, i) => Math.max(name.length, ...text.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i < labelColumns ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join("  ").trimEnd();
  return [line(columns), widths.map((w) => "-".repeat(w)).join("  "), ...text.map(line)].join("\n");
}

/**
 * The last line of a benchmark: `RESULT name=value …`, values with at most three decimals,
 * `nan` for a figure that could not be measured.
 */
export function formatResultLine(fields: Readonly<Record<string, number>>): string {
  const pairs = Object.entries(fields).map(([name, value]) => `${name}=${Number.isFinite(value) ? formatNumber(value) : "nan"}`);
  return `RESULT ${pairs.join(" ")}`;
}

/** One line naming the machine: cpu count and model, memory, node version, and how busy it already is. */
export function describeMachine(): string {
  const list = cpus();
  const model = list[0]?.model.trim() ?? "unknown cpu";
  const gib = totalmem() / 1024 ** 3;
  const load = loadavg().map((value) => formatNumber(value, 2)).join(" ");
  return `machine: ${list.length} cpus (${model}), ${formatNumber(gib, 1)} GiB RAM, node ${process.version}, ${process.platform}/${process.arch}, load average ${load}`;
}

function cellText(cell: Cell | undefined): string {
  if (cell === undefined) return "";
  return typeof cell === "number" ? formatNumber(cell) : cell;
}

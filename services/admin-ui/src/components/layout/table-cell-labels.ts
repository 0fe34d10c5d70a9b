/**
 * Column names on table cells, so a table can be shown as a stack of cards on a
 * phone (styles.css, below the tablet breakpoint): every body cell of an
 * Element Plus table gets `data-label` with its column's header text, which the
 * stylesheet prints beside the cell. Element Plus marks a column's header and
 * body cells with the same `el-table_<table>_column_<n>` class; that class, not
 * the cell's position, pairs them. Tables keep rendering as they always did;
 * only the stylesheet decides how they look.
 */
import { onBeforeUnmount, onMounted, type Ref } from "vue";

const COLUMN_CLASS = /^el-table_\d+_column_\d+$/;

/** The `el-table_<t>_column_<n>` class of a table cell, if it has one. */
function columnOf(cell: Element): string | undefined {
  for (const name of cell.classList) if (COLUMN_CLASS.test(name)) return name;
  return undefined;
}

/** Sets `data-label` on every body cell of every table under `root`; returns how many cells changed. */
export function labelTableCells(root: ParentNode): number {
  const labels = new Map<string, string>();
  for (const th of root.querySelectorAll(".el-table__header th")) {
    const column = columnOf(th);
    if (column) labels.set(column, th.textContent?.trim() ?? "");
  }
  let changed = 0;
  for (const td of root.querySelectorAll(".el-table__body td")) {
    const column = columnOf(td);
    const label = column === undefined ? undefined : labels.get(column);
    if (label === undefined || td.getAttribute("data-label") === label) continue;
    td.setAttribute("data-label", label);
    changed++;
  }
  return changed;
}

/**
 * Keeps the cells under `root` labelled while it is mounted: rows come and go
 * with polling and paging, and headers change with the language. Setting an
 * attribute is not a watched change, so labelling does not feed itself.
 */
export function useTableCellLabels(root: Ref<HTMLElement | undefined>): void {
  let observer: MutationObserver | undefined;
  onMounted(() => {
    const el = root.value;
    if (!el) return;
    labelTableCells(el);
    observer = new MutationObserver(() => labelTableCells(el));
    observer.observe(el, { childList: true, subtree: true, characterData: true });
  });
  onBeforeUnmount(() => observer?.disconnect());
}

import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus, { ElTable, ElTableColumn } from "element-plus";
import { afterEach, describe, expect, it } from "vitest";
import { defineComponent, h, ref } from "vue";
import { labelTableCells, useTableCellLabels } from "./table-cell-labels.js";

/** The shape Element Plus renders: a header table and a body table whose cells share a column class. */
function tableHtml(headers: string[], rows: string[][]): string {
  const cls = (i: number) => `el-table__cell el-table_3_column_${i + 7}`;
  const head = headers.map((text, i) => `<th class="${cls(i)}"><div class="cell">${text}</div></th>`).join("");
  const body = rows.map((cells) => `<tr>${cells.map((text, i) => `<td class="${cls(i)}"><div class="cell">${text}</div></td>`).join("")}</tr>`).join("");
  return `<div class="el-table"><table class="el-table__header"><thead><tr>${head}</tr></thead></table><table class="el-table__body"><tbody>${body}</tbody></table></div>`;
}

afterEach(() => {
  document.body.innerHTML = "";
});

describe("labelTableCells", () => {
  it("gives every body cell its column's header text", () => {
    const root = document.createElement("div");
    root.innerHTML = tableHtml(["Name", " Health ", "Actions"], [["a", "ok", ""], ["b", "down", ""]]);
    expect(labelTableCells(root)).toBe(6);
    const labels = [...root.querySelectorAll("td")].map((td) => td.getAttribute("data-label"));
    expect(labels).toEqual(["Name", "Health", "Actions", "Name", "Health", "Actions"]);
  });

  it("changes nothing the second time, and follows a header that changed", () => {
    const root = document.createElement("div");
    root.innerHTML = tableHtml(["Name", "State"], [["a", "on"]]);
    labelTableCells(root);
    expect(labelTableCells(root)).toBe(0);
    const th = root.querySelectorAll("th")[1] as HTMLElement;
    th.textContent = "状态";
    expect(labelTableCells(root)).toBe(1);
    expect(root.querySelectorAll("td")[1]?.getAttribute("data-label")).toBe("状态");
  });

  it("leaves cells without a matching header alone", () => {
    const root = document.createElement("div");
    root.innerHTML = '<table class="el-table__body"><tbody><tr><td class="el-table__cell">x</td></tr></tbody></table>';
    expect(labelTableCells(root)).toBe(0);
    expect(root.querySelector("td")?.hasAttribute("data-label")).toBe(false);
  });
});

describe("useTableCellLabels", () => {
  it("labels an Element Plus table's rows, including rows added later", async () => {
    const rows = ref([{ name: "account-1", health: "Healthy" }]);
    const Table = defineComponent({
      setup() {
        const root = ref<HTMLElement>();
        useTableCellLabels(root);
        return () =>
          h("div", { ref: root }, [
            h(ElTable, { data: rows.value }, { default: () => [h(ElTableColumn, { label: "Name", prop: "name" }), h(ElTableColumn, { label: "Health", prop: "health" })] }),
          ]);
      },
    });
    const wrapper = mount(Table, { attachTo: document.body, global: { plugins: [ElementPlus] } });
    await flushPromises();
    const labels = () => wrapper.findAll(".el-table__body td").map((td) => td.attributes("data-label"));
    expect(labels()).toEqual(["Name", "Health"]);

    rows.value = [...rows.value, { name: "account-2", health: "Rate limited" }];
    await flushPromises();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(labels()).toEqual(["Name", "Health", "Name", "Health"]);
    wrapper.unmount();
  });
});

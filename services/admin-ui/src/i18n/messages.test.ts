import { describe, expect, it } from "vitest";
import { en } from "./en.js";
import { messages } from "./index.js";
import { zhCN } from "./zh-CN.js";

/** Every leaf as [dotted key, value]; objects are walked, anything else is a leaf. */
function leaves(tree: unknown, prefix = ""): Array<[string, unknown]> {
  if (typeof tree !== "object" || tree === null) return [[prefix, tree]];
  return Object.entries(tree).flatMap(([key, value]) => leaves(value, prefix === "" ? key : `${prefix}.${key}`));
}

describe("message catalogues", () => {
  it("have exactly the same keys in English and Simplified Chinese", () => {
    const enKeys = leaves(en).map(([key]) => key).sort();
    const zhKeys = leaves(zhCN).map(([key]) => key).sort();
    expect(zhKeys).toEqual(enKeys);
    expect(enKeys.length).toBeGreaterThan(50);
  });

  it.each([
    ["en", en],
    ["zh-CN", zhCN],
  ])("%s has a non-empty string for every key", (_name, catalogue) => {
    const bad = leaves(catalogue).filter(([, value]) => typeof value !== "string" || value.trim() === "");
    expect(bad).toEqual([]);
  });

  it("translates the navigation into Chinese rather than copying the English", () => {
    expect(zhCN.nav.accounts).not.toBe(en.nav.accounts);
    expect(zhCN.nav.settings).not.toBe(en.nav.settings);
  });

  it("registers both catalogues under their language tags", () => {
    expect(Object.keys(messages).sort()).toEqual(["en", "zh-CN"]);
  });
});

import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ModelPriceSchema, Platform, PriceService, PriceSource, type ImportPricesRequest, type ModelPrice, type SetPriceRequest } from "@claude-relay/proto/admin";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";
import { transportKey } from "../api/transport.js";
import { createAppI18n } from "../i18n/index.js";
import PricesView from "./PricesView.vue";

const T0 = 1_750_000_000_000;
const rates = (input: number) => ({ input, output: input * 5, cacheWriteFiveMinutes: input * 1.25, cacheWriteOneHour: input * 2, cacheRead: input / 10 });

/** A fake PriceService over an in-memory table: deleting an admin price of a shipped model restores it. */
function render(options: { failList?: boolean; locale?: "en" | "zh-CN" } = {}) {
  const shipped = create(ModelPriceSchema, { model: "claude-haiku-4-5", platform: Platform.CLAUDE, source: PriceSource.SHIPPED, rates: rates(1), shipped: true });
  const table = new Map<string, ModelPrice>(
    [
      create(ModelPriceSchema, { model: "claude-sonnet-4-5", platform: Platform.CLAUDE, source: PriceSource.ADMIN, rates: rates(4), shipped: true, updatedAt: timestampFromMs(T0) }),
      shipped,
      create(ModelPriceSchema, {
        model: "gemini-2.5-pro",
        platform: Platform.GEMINI,
        source: PriceSource.SHIPPED,
        rates: rates(1.25),
        longPrompt: { aboveTokens: 200_000n, rates: rates(2.5) },
        shipped: true,
      }),
      create(ModelPriceSchema, { model: "house-model", source: PriceSource.ADMIN, rates: rates(0.5), shipped: false, updatedAt: timestampFromMs(T0) }),
    ].map((p) => [p.model, p]),
  );
  const sets: SetPriceRequest[] = [];
  const deletes: string[] = [];
  const imports: ImportPricesRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(PriceService, {
      listPrices: async () => {
        if (options.failList) throw new ConnectError("the control plane's state store is unavailable", Code.Unavailable);
        return { prices: [...table.values()].sort((a, b) => (a.model < b.model ? -1 : 1)) };
      },
      setPrice: async (req) => {
        sets.push(req);
        const price = create(ModelPriceSchema, { model: req.model, platform: Platform.CLAUDE, source: PriceSource.ADMIN, rates: req.rates, longPrompt: req.longPrompt, updatedAt: timestampFromMs(T0) });
        table.set(req.model, price);
        return { price };
      },
      deletePrice: async (req) => {
        deletes.push(req.model);
        if (req.model === "claude-sonnet-4-5") table.set(req.model, create(ModelPriceSchema, { ...shipped, model: req.model }));
        else table.delete(req.model);
        return {};
      },
      importPrices: async (req) => {
        imports.push(req);
        table.set("claude-imported", create(ModelPriceSchema, { model: "claude-imported", platform: Platform.CLAUDE, source: PriceSource.ADMIN, rates: rates(3) }));
        return { imported: 1, skipped: 2, models: ["claude-imported"], skipReasons: [{ reason: "not a chat model", count: 2 }] };
      },
    });
  });
  const wrapper = mount(PricesView, {
    global: { plugins: [createAppI18n(options.locale ?? "en"), ElementPlus], provide: { [transportKey as symbol]: transport } },
    attachTo: document.body,
  });
  return { wrapper, sets, deletes, imports };
}

type Wrapper = ReturnType<typeof render>["wrapper"];

const q = (selector: string) => document.querySelector(selector) as HTMLElement | null;
const texts = (wrapper: Wrapper, testid: string) => wrapper.findAll(`[data-testid="${testid}"]`).map((el) => el.text());

/** Types into the input (or textarea) of the open dialog's item `testid`. */
async function type(testid: string, value: string): Promise<void> {
  const input = q(`[data-testid="${testid}"] input, [data-testid="${testid}"] textarea`) as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event("input"));
  await flushPromises();
}

afterEach(() => {
  document.body.innerHTML = "";
});

// Element Plus tables and dialogs render slowly in happy-dom on a loaded machine.
describe("PricesView", { timeout: 30_000 }, () => {
  it("lists each model with its source, platform, rates and long-prompt tier", async () => {
    const { wrapper } = render();
    await flushPromises();
    expect(texts(wrapper, "price-model")).toEqual(["claude-haiku-4-5", "claude-sonnet-4-5", "gemini-2.5-pro", "house-model"]);
    expect(wrapper.findAll('[data-testid="price-source"]').map((tag) => tag.attributes("data-source"))).toEqual(["shipped", "admin", "shipped", "admin"]);
    expect(wrapper.findAll('[data-testid="price-table"] [data-testid="platform-tag"]').map((tag) => tag.attributes("data-platform"))).toEqual(["claude", "claude", "gemini", "other"]);
    expect(texts(wrapper, "price-input")).toEqual(["$1", "$4", "$1.25", "$0.5"]);
    expect(texts(wrapper, "price-long-prompt")).toEqual(["over 200K: $2.5 in, $12.5 out"]);
    // Only admin prices can be deleted; a shipped model's admin price is reset instead.
    expect(texts(wrapper, "delete-price")).toEqual(["Reset", "Delete"]);
    wrapper.unmount();
  });

  it("searches by model name and filters by platform", async () => {
    const { wrapper } = render();
    await flushPromises();
    await wrapper.get('[data-testid="price-search"] input').setValue("SONNET");
    expect(texts(wrapper, "price-model")).toEqual(["claude-sonnet-4-5"]);
    await wrapper.get('[data-testid="price-search"] input').setValue("");
    await wrapper.get('[data-testid="price-platform"] [data-platform="gemini"] input').setValue(true);
    expect(texts(wrapper, "price-model")).toEqual(["gemini-2.5-pro"]);
    wrapper.unmount();
  });

  it("sets a new model's price with a long-prompt tier, refusing a bad rate before calling", async () => {
    const { wrapper, sets } = render();
    await flushPromises();
    await wrapper.get('[data-testid="add-price"]').trigger("click");
    await vi.waitFor(() => expect(q('[data-testid="price-form-model"] input')).not.toBeNull(), { timeout: 5_000 });
    await type("price-form-model", "claude-sonnet-9");
    for (const [key, value] of Object.entries({ input: "7", output: "21", cacheWriteFiveMinutes: "8", cacheWriteOneHour: "14", cacheRead: "x" })) await type(`price-form-${key}`, value);
    (q('[data-testid="price-form-submit"]') as HTMLButtonElement).click();
    await flushPromises();
    expect(q('[data-testid="form-error"]')?.textContent).toContain("Every rate must be a number of dollars");
    expect(sets).toEqual([]);

    await type("price-form-cacheRead", "0.7");
    (q('[data-testid="price-form-long-prompt"] input') as HTMLInputElement).click();
    await flushPromises();
    for (const [key, value] of Object.entries({ input: "14", output: "42", cacheWriteFiveMinutes: "16", cacheWriteOneHour: "28", cacheRead: "1.4" })) await type(`price-form-long-${key}`, value);
    (q('[data-testid="price-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(sets).toHaveLength(1), { timeout: 5_000 });
    expect(sets[0]).toMatchObject({
      model: "claude-sonnet-9",
      rates: { input: 7, output: 21, cacheWriteFiveMinutes: 8, cacheWriteOneHour: 14, cacheRead: 0.7 },
      longPrompt: { aboveTokens: 200_000n, rates: { input: 14, output: 42, cacheRead: 1.4 } },
    });
    await vi.waitFor(() => expect(texts(wrapper, "price-model")).toContain("claude-sonnet-9"), { timeout: 5_000 });
    wrapper.unmount();
  });

  it("edits a price with its rates filled in, keeping the model", async () => {
    const { wrapper, sets } = render();
    await flushPromises();
    await wrapper.findAll('[data-testid="edit-price"]')[1]?.trigger("click");
    await vi.waitFor(() => expect((q('[data-testid="price-form-input"] input') as HTMLInputElement | null)?.value).toBe("4"), { timeout: 5_000 });
    expect((q('[data-testid="price-form-model"] input') as HTMLInputElement).disabled).toBe(true);
    await type("price-form-input", "5");
    (q('[data-testid="price-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(sets).toHaveLength(1), { timeout: 5_000 });
    expect(sets[0]).toMatchObject({ model: "claude-sonnet-4-5", rates: { input: 5, output: 20 } });
    expect(sets[0]?.longPrompt).toBeUndefined();
    wrapper.unmount();
  });

  it("resets an admin price to the shipped one only after the confirmation", async () => {
    const { wrapper, deletes } = render();
    await flushPromises();
    await wrapper.findAll('[data-testid="delete-price"]')[0]?.trigger("click");
    await vi.waitFor(() => expect(q(".el-message-box")).not.toBeNull(), { timeout: 5_000 });
    expect(q(".el-message-box")?.textContent).toContain("Drop the admin price of claude-sonnet-4-5 and go back to the shipped one?");
    expect(deletes).toEqual([]);
    (q(".el-message-box__btns .el-button--primary") as HTMLButtonElement).click();
    await vi.waitFor(() => expect(deletes).toEqual(["claude-sonnet-4-5"]), { timeout: 5_000 });
    await vi.waitFor(() => expect(texts(wrapper, "price-input")[1]).toBe("$1"), { timeout: 5_000 });
    expect(texts(wrapper, "delete-price")).toEqual(["Delete"]);
    wrapper.unmount();
  });

  it("imports a pasted LiteLLM table and shows the counts, refusing what is not a JSON object", async () => {
    const { wrapper, imports } = render();
    await flushPromises();
    await wrapper.get('[data-testid="import-prices"]').trigger("click");
    await vi.waitFor(() => expect(q('[data-testid="price-import-text"] textarea')).not.toBeNull(), { timeout: 5_000 });
    await type("price-import-text", "[1, 2]");
    (q('[data-testid="price-import-submit"]') as HTMLButtonElement).click();
    await flushPromises();
    expect(q('[data-testid="form-error"]')?.textContent).toContain("must be a JSON object");
    expect(imports).toEqual([]);

    const json = JSON.stringify({ "claude-imported": { mode: "chat", input_cost_per_token: 3e-6, output_cost_per_token: 1.5e-5 }, a: {}, b: {} });
    await type("price-import-text", json);
    expect(q('[data-testid="price-import-entries"]')?.textContent).toContain("3 entries");
    (q('[data-testid="price-import-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(imports).toHaveLength(1), { timeout: 5_000 });
    expect(imports[0]?.json).toBe(json);
    await vi.waitFor(() => expect(q('[data-testid="price-import-result"]')?.textContent).toContain("1 imported, 2 skipped"), { timeout: 5_000 });
    expect(q('[data-testid="price-import-reason"]')?.textContent).toBe("not a chat model: 2");
    await vi.waitFor(() => expect(texts(wrapper, "price-model")).toContain("claude-imported"), { timeout: 5_000 });
    wrapper.unmount();
  });

  it("says why the list could not be loaded", async () => {
    const { wrapper } = render({ failList: true });
    await flushPromises();
    expect(wrapper.get('[data-testid="prices-error"]').text()).toContain("the control plane's state store is unavailable");
    wrapper.unmount();
  });

  it("is translated into Chinese", async () => {
    const { wrapper } = render({ locale: "zh-CN" });
    await flushPromises();
    expect(wrapper.get('[data-testid="add-price"]').text()).toBe("设置价格");
    expect(texts(wrapper, "price-source")[0]).toBe("自带");
    wrapper.unmount();
  });
});

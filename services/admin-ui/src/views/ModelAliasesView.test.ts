import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ModelAliasSchema, ModelAliasService, Platform, type ModelAlias, type SetModelAliasRequest } from "@claude-relay/proto/admin";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";
import { transportKey } from "../api/transport.js";
import { createAppI18n } from "../i18n/index.js";
import ModelAliasesView from "./ModelAliasesView.vue";

const T0 = 1_750_000_000_000;

/** A fake ModelAliasService over an in-memory table, with the server's target rule. */
function render(options: { failList?: boolean; locale?: "en" | "zh-CN" } = {}) {
  const table = new Map<string, ModelAlias>(
    [
      create(ModelAliasSchema, { alias: "gpt-4o", targetModel: "claude-sonnet-4-5", platform: Platform.CLAUDE, updatedAt: timestampFromMs(T0) }),
      create(ModelAliasSchema, { alias: "gpt-4o-mini", targetModel: "gemini-2.5-flash", platform: Platform.GEMINI, updatedAt: timestampFromMs(T0) }),
    ].map((a) => [a.alias, a]),
  );
  const sets: SetModelAliasRequest[] = [];
  const deletes: string[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(ModelAliasService, {
      listModelAliases: async () => {
        if (options.failList) throw new ConnectError("the control plane's state store is unavailable", Code.Unavailable);
        return { aliases: [...table.values()].sort((a, b) => (a.alias < b.alias ? -1 : 1)) };
      },
      setModelAlias: async (req) => {
        sets.push(req);
        if (req.targetModel.includes("/")) throw new ConnectError("target_model: may hold only letters, digits and . _ @ -", Code.InvalidArgument);
        const alias = create(ModelAliasSchema, {
          alias: req.alias,
          targetModel: req.targetModel,
          platform: req.targetModel.startsWith("gemini-") ? Platform.GEMINI : Platform.CLAUDE,
          updatedAt: timestampFromMs(T0 + 60_000),
        });
        table.set(req.alias, alias);
        return { alias };
      },
      deleteModelAlias: async (req) => {
        deletes.push(req.alias);
        if (!table.delete(req.alias)) throw new ConnectError(`model alias "${req.alias}" not found`, Code.NotFound);
        return {};
      },
    });
  });
  const wrapper = mount(ModelAliasesView, {
    global: { plugins: [createAppI18n(options.locale ?? "en"), ElementPlus], provide: { [transportKey as symbol]: transport } },
    attachTo: document.body,
  });
  return { wrapper, sets, deletes, table };
}

type Wrapper = ReturnType<typeof render>["wrapper"];

const q = (selector: string) => document.querySelector(selector) as HTMLElement | null;
const texts = (wrapper: Wrapper, testid: string) => wrapper.findAll(`[data-testid="${testid}"]`).map((el) => el.text());

/** Types into the input of the open dialog's form item `testid`. */
async function type(testid: string, value: string): Promise<void> {
  const input = q(`[data-testid="${testid}"] input`) as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event("input"));
  await flushPromises();
}

async function openAdd(wrapper: Wrapper): Promise<void> {
  await wrapper.get('[data-testid="add-model-alias"]').trigger("click");
  await vi.waitFor(() => expect(q('[data-testid="model-alias-form-alias"] input')).not.toBeNull(), { timeout: 5_000 });
}

afterEach(() => {
  document.body.innerHTML = "";
});

// Element Plus tables and dialogs render slowly in happy-dom on a loaded machine.
describe("ModelAliasesView", { timeout: 30_000 }, () => {
  it("lists each alias with its target model and the platform that serves it", async () => {
    const { wrapper } = render();
    await flushPromises();
    expect(texts(wrapper, "model-alias-name")).toEqual(["gpt-4o", "gpt-4o-mini"]);
    expect(texts(wrapper, "model-alias-target")).toEqual(["claude-sonnet-4-5", "gemini-2.5-flash"]);
    expect(wrapper.findAll('[data-testid="model-alias-table"] [data-testid="platform-tag"]').map((tag) => tag.attributes("data-platform"))).toEqual(["claude", "gemini"]);
    expect(wrapper.text()).toContain("OpenAI-compatible API (/openai/v1)");
    wrapper.unmount();
  });

  it("adds an alias, showing the platform its target names, and lists it", async () => {
    const { wrapper, sets } = render();
    await flushPromises();
    await openAdd(wrapper);
    await type("model-alias-form-alias", " o3 ");
    await type("model-alias-form-target", "claude-opus-4-1");
    expect(q('[data-testid="model-alias-form-platform"]')?.getAttribute("data-platform")).toBe("claude");
    (q('[data-testid="model-alias-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(sets).toHaveLength(1), { timeout: 5_000 });
    expect(sets[0]).toMatchObject({ alias: "o3", targetModel: "claude-opus-4-1" });
    await vi.waitFor(() => expect(texts(wrapper, "model-alias-name")).toEqual(["gpt-4o", "gpt-4o-mini", "o3"]), { timeout: 5_000 });
    wrapper.unmount();
  });

  it("refuses before calling: a reserved prefix, an alias that exists, a target naming no platform", async () => {
    const { wrapper, sets } = render();
    await flushPromises();
    await openAdd(wrapper);
    const submit = async () => {
      (q('[data-testid="model-alias-form-submit"]') as HTMLButtonElement).click();
      await flushPromises();
      return q('[data-testid="form-error"]')?.textContent ?? "";
    };
    await type("model-alias-form-alias", "claude-fast");
    await type("model-alias-form-target", "claude-sonnet-4-5");
    expect(await submit()).toContain("An alias cannot start with claude- or gemini-");
    await type("model-alias-form-alias", "gpt-4o");
    expect(await submit()).toContain("This alias exists already");
    await type("model-alias-form-alias", "fast");
    await type("model-alias-form-target", "gpt-4-turbo");
    expect(await submit()).toContain("The target model must start with claude- or gemini-");
    expect(sets).toEqual([]);
    wrapper.unmount();
  });

  it("shows the server's refusal as it came", async () => {
    const { wrapper, sets } = render();
    await flushPromises();
    await openAdd(wrapper);
    await type("model-alias-form-alias", "fast");
    await type("model-alias-form-target", "gemini-2.5-pro/x");
    (q('[data-testid="model-alias-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(q('[data-testid="form-error"]')?.textContent).toContain("target_model: may hold only letters, digits and . _ @ -"), { timeout: 5_000 });
    expect(sets).toHaveLength(1);
    wrapper.unmount();
  });

  it("points an alias at another model, keeping its name", async () => {
    const { wrapper, sets } = render();
    await flushPromises();
    await wrapper.findAll('[data-testid="edit-model-alias"]')[0]?.trigger("click");
    await vi.waitFor(() => expect((q('[data-testid="model-alias-form-target"] input') as HTMLInputElement | null)?.value).toBe("claude-sonnet-4-5"), { timeout: 5_000 });
    expect((q('[data-testid="model-alias-form-alias"] input') as HTMLInputElement).disabled).toBe(true);
    await type("model-alias-form-target", "gemini-2.5-pro");
    expect(q('[data-testid="model-alias-form-platform"]')?.getAttribute("data-platform")).toBe("gemini");
    (q('[data-testid="model-alias-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(sets).toHaveLength(1), { timeout: 5_000 });
    expect(sets[0]).toMatchObject({ alias: "gpt-4o", targetModel: "gemini-2.5-pro" });
    await vi.waitFor(() => expect(texts(wrapper, "model-alias-target")[0]).toBe("gemini-2.5-pro"), { timeout: 5_000 });
    wrapper.unmount();
  });

  it("deletes an alias only after the confirmation", async () => {
    const { wrapper, deletes } = render();
    await flushPromises();
    await wrapper.findAll('[data-testid="delete-model-alias"]')[1]?.trigger("click");
    await vi.waitFor(() => expect(q(".el-message-box")).not.toBeNull(), { timeout: 5_000 });
    expect(q(".el-message-box")?.textContent).toContain("Delete the alias gpt-4o-mini?");
    expect(deletes).toEqual([]);
    (q(".el-message-box__btns .el-button--primary") as HTMLButtonElement).click();
    await vi.waitFor(() => expect(deletes).toEqual(["gpt-4o-mini"]), { timeout: 5_000 });
    await vi.waitFor(() => expect(texts(wrapper, "model-alias-name")).toEqual(["gpt-4o"]), { timeout: 5_000 });
    wrapper.unmount();
  });

  it("says why the list could not be loaded", async () => {
    const { wrapper } = render({ failList: true });
    await flushPromises();
    expect(wrapper.get('[data-testid="model-aliases-error"]').text()).toContain("the control plane's state store is unavailable");
    wrapper.unmount();
  });

  it("is translated into Chinese", async () => {
    const { wrapper } = render({ locale: "zh-CN" });
    await flushPromises();
    expect(wrapper.get('[data-testid="add-model-alias"]').text()).toBe("添加别名");
    expect(wrapper.text()).toContain("模型别名");
    wrapper.unmount();
  });
});

import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createAppI18n } from "../../i18n/index.js";
import SecretDialog from "./SecretDialog.vue";

const KEY = "cr_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

afterEach(() => {
  document.body.innerHTML = "";
  vi.restoreAllMocks();
});

function render() {
  return mount(SecretDialog, {
    props: { plaintextKey: KEY, visible: true },
    global: { plugins: [createAppI18n("en"), ElementPlus] },
    attachTo: document.body,
  });
}

describe("SecretDialog", () => {
  it("shows the key once with a warning that it will not be shown again", async () => {
    const wrapper = render();
    await flushPromises();
    expect(document.querySelector('[data-testid="plaintext-key"]')?.textContent).toBe(KEY);
    expect(document.body.textContent).toContain("It will not be shown again.");
    wrapper.unmount();
  });

  it("copies exactly the key to the clipboard", async () => {
    const writeText = vi.fn(async (_text: string) => undefined);
    vi.spyOn(navigator, "clipboard", "get").mockReturnValue({ writeText } as unknown as Clipboard);
    const wrapper = render();
    await flushPromises();
    (document.querySelector('[data-testid="copy-secret"]') as HTMLButtonElement).click();
    await flushPromises();
    expect(writeText).toHaveBeenCalledWith(KEY);
    wrapper.unmount();
  });
});

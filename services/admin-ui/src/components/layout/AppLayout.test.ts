import { createRouterTransport } from "@connectrpc/connect";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia } from "pinia";
import { afterEach, describe, expect, it, vi } from "vitest";
import { defineComponent, h } from "vue";
import { createMemoryHistory, createRouter, RouterView } from "vue-router";
import { transportKey } from "../../api/transport.js";
import { createAppI18n } from "../../i18n/index.js";
import AppLayout from "./AppLayout.vue";
import { NARROW_QUERY } from "./use-narrow-screen.js";

const Page = (name: string) => defineComponent({ render: () => h("p", { "data-testid": "page" }, name) });

/** Pretends the window is `width` px wide, as far as media queries go. */
function windowWidth(width: number): void {
  vi.spyOn(window, "matchMedia").mockImplementation(
    (query: string) =>
      ({
        matches: query === NARROW_QUERY && width < 768,
        media: query,
        addEventListener: () => {},
        removeEventListener: () => {},
      }) as unknown as MediaQueryList,
  );
}

async function render() {
  const router = createRouter({
    history: createMemoryHistory("/admin/"),
    routes: [
      {
        path: "/",
        component: AppLayout,
        children: [
          { path: "dashboard", component: Page("dashboard") },
          { path: "accounts", component: Page("accounts") },
          { path: ":other(.*)", component: Page("other") },
        ],
      },
    ],
  });
  await router.push("/dashboard");
  const wrapper = mount(RouterView, {
    attachTo: document.body,
    global: {
      plugins: [createPinia(), router, createAppI18n("en"), ElementPlus],
      provide: { [transportKey as symbol]: createRouterTransport(() => {}) },
    },
  });
  await flushPromises();
  return { wrapper, router };
}

afterEach(() => {
  vi.restoreAllMocks();
  document.body.innerHTML = "";
});

describe("AppLayout", () => {
  it("shows the sidebar and no menu button on a wide screen", async () => {
    windowWidth(1400);
    const { wrapper } = await render();
    expect(wrapper.find(".aside").exists()).toBe(true);
    expect(wrapper.find('[data-testid="nav-menu-button"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="nav-accounts"]').exists()).toBe(true);
  });

  it("on a phone, opens the navigation from the menu button and closes it on navigating", async () => {
    windowWidth(390);
    const { wrapper, router } = await render();
    expect(wrapper.find(".aside").exists()).toBe(false);
    const button = wrapper.get('[data-testid="nav-menu-button"]');
    expect(button.attributes("aria-label")).toBe("Open the menu");
    expect(button.attributes("aria-expanded")).toBe("false");

    await button.trigger("click");
    await flushPromises();
    expect(button.attributes("aria-expanded")).toBe("true");
    const item = document.querySelector<HTMLElement>('[data-testid="nav-accounts"]');
    expect(item?.textContent).toContain("Accounts");

    item?.click();
    await flushPromises();
    expect(router.currentRoute.value.path).toBe("/accounts");
    expect(wrapper.get('[data-testid="page"]').text()).toBe("accounts");
    expect(button.attributes("aria-expanded")).toBe("false");
  });
});

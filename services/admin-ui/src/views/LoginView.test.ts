import { create } from "@bufbuild/protobuf";
import { AuthService, SignInThrottledSchema } from "@claude-relay/proto/admin";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { createPinia } from "pinia";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMemoryHistory } from "vue-router";
import { transportKey } from "../api/transport.js";
import { createAppI18n } from "../i18n/index.js";
import { createAppRouter } from "../router/index.js";
import LoginView from "./LoginView.vue";

/** The login page over an in-memory AuthService whose Login fails with `error`. */
async function render(error: ConnectError, locale: "en" | "zh-CN" = "en") {
  const transport = createRouterTransport(({ service }) => {
    service(AuthService, {
      login: () => Promise.reject(error),
    });
  });
  const router = createAppRouter({ isSignedIn: () => false }, createMemoryHistory("/admin/"));
  await router.push("/login");
  const wrapper = mount(LoginView, {
    global: { plugins: [createPinia(), router, createAppI18n(locale), ElementPlus], provide: { [transportKey as symbol]: transport } },
  });
  await wrapper.get('[data-testid="login-username"] input').setValue("admin");
  await wrapper.get('[data-testid="login-password"] input').setValue("some-password");
  await wrapper.get("form").trigger("submit");
  await flushPromises();
  return wrapper;
}

function throttled(seconds: number): ConnectError {
  return new ConnectError(`too many failed sign-ins; try again in ${Math.ceil(seconds / 60)} minutes`, Code.ResourceExhausted, undefined, [
    { desc: SignInThrottledSchema, value: create(SignInThrottledSchema, { retryAfterSeconds: seconds }) },
  ]);
}

beforeEach(() => localStorage.clear());
afterEach(() => localStorage.clear());

describe("LoginView", () => {
  it("says a wrong username or password in one message", async () => {
    const wrapper = await render(new ConnectError("invalid username or password", Code.Unauthenticated));
    expect(wrapper.get('[data-testid="login-error"]').text()).toBe("Wrong username or password.");
  });

  it("says how long to wait after too many failed sign-ins", async () => {
    const wrapper = await render(throttled(900));
    expect(wrapper.get('[data-testid="login-error"]').text()).toBe("Too many failed sign-ins. Try again in 15 minutes.");
  });

  it("says it in Chinese too", async () => {
    const wrapper = await render(throttled(30), "zh-CN");
    expect(wrapper.get('[data-testid="login-error"]').text()).toBe("登录失败次数过多，请30秒钟后再试。");
  });

  it("shows any other failure as the server said it", async () => {
    const wrapper = await render(new ConnectError("the control plane's state store is unavailable", Code.Unavailable));
    expect(wrapper.get('[data-testid="login-error"]').text()).toBe("the control plane's state store is unavailable");
  });
});

import { AuthService, type ChangePasswordRequest } from "@claude-relay/proto/admin";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { describe, expect, it } from "vitest";
import { transportKey } from "../../api/transport.js";
import { createAppI18n } from "../../i18n/index.js";
import ChangePasswordForm from "./ChangePasswordForm.vue";

/** The form over an in-memory AuthService whose ChangePassword does `answer`. */
function render(answer: (req: ChangePasswordRequest) => Promise<{ revokedSessions: number }>, locale: "en" | "zh-CN" = "en") {
  const calls: ChangePasswordRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(AuthService, {
      changePassword: (req) => {
        calls.push(req);
        return answer(req);
      },
    });
  });
  const wrapper = mount(ChangePasswordForm, {
    global: { plugins: [createAppI18n(locale), ElementPlus], provide: { [transportKey as symbol]: transport } },
  });
  return { wrapper, calls };
}

async function fillAndSubmit(wrapper: ReturnType<typeof render>["wrapper"], current: string, next: string, confirm = next): Promise<void> {
  await wrapper.get('[data-testid="password-current"] input').setValue(current);
  await wrapper.get('[data-testid="password-new"] input').setValue(next);
  await wrapper.get('[data-testid="password-confirm"] input').setValue(confirm);
  await wrapper.get("form").trigger("submit");
  await flushPromises();
}

describe("ChangePasswordForm", () => {
  it("refuses a short new password before calling the server", async () => {
    const { wrapper, calls } = render(async () => ({ revokedSessions: 0 }));
    await fillAndSubmit(wrapper, "old-password", "short");
    expect(wrapper.get('[data-testid="password-error"]').text()).toBe("The new password needs at least 12 characters.");
    expect(calls).toEqual([]);
  });

  it("refuses two different new passwords, in Chinese too", async () => {
    const { wrapper, calls } = render(async () => ({ revokedSessions: 0 }), "zh-CN");
    await fillAndSubmit(wrapper, "old-password", "a-long-new-password", "a-long-new-passw0rd");
    expect(wrapper.get('[data-testid="password-error"]').text()).toBe("两次输入的新密码不一致。");
    expect(calls).toEqual([]);
  });

  it("sends both passwords, reports how many sessions were signed out and clears the fields", async () => {
    const { wrapper, calls } = render(async () => ({ revokedSessions: 2 }));
    await fillAndSubmit(wrapper, "old-password", "a-long-new-password");
    expect(calls.map(({ currentPassword, newPassword }) => ({ currentPassword, newPassword }))).toEqual([
      { currentPassword: "old-password", newPassword: "a-long-new-password" },
    ]);
    expect(wrapper.get('[data-testid="password-changed"]').text()).toBe("Password changed. Other sessions signed out: 2.");
    expect(wrapper.emitted("changed")).toEqual([[2]]);
    for (const field of ["current", "new", "confirm"]) {
      expect((wrapper.get(`[data-testid="password-${field}"] input`).element as HTMLInputElement).value).toBe("");
    }
    expect(wrapper.find('[data-testid="password-error"]').exists()).toBe(false);
  });

  it("shows the server's refusal as it came and keeps the fields", async () => {
    const { wrapper } = render(async () => {
      throw new ConnectError("current_password: is wrong", Code.PermissionDenied);
    });
    await fillAndSubmit(wrapper, "not-my-password", "a-long-new-password");
    expect(wrapper.get('[data-testid="password-error"]').text()).toBe("current_password: is wrong");
    expect((wrapper.get('[data-testid="password-current"] input').element as HTMLInputElement).value).toBe("not-my-password");
    expect(wrapper.find('[data-testid="password-changed"]').exists()).toBe(false);
  });
});

import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  NotificationDeliverySchema,
  NotificationEventType,
  NotificationFormat,
  NotificationService,
  NotificationTargetSchema,
  type CreateNotificationTargetRequest,
  type NotificationTarget,
  type UpdateNotificationTargetRequest,
} from "@claude-relay/proto/admin";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";
import { transportKey } from "../api/transport.js";
import { createAppI18n } from "../i18n/index.js";
import NotificationsView from "./NotificationsView.vue";

const T0 = 1_750_000_000_000;
const SECRET = `whsec_${"s".repeat(32)}`;

/** A fake NotificationService over an in-memory list. */
function render(options: { failList?: boolean; locale?: "en" | "zh-CN" } = {}) {
  const list: NotificationTarget[] = [
    create(NotificationTargetSchema, {
      id: "n1",
      name: "on-call",
      urlHint: "https://hooks.slack.com",
      format: NotificationFormat.SLACK,
      events: [NotificationEventType.ACCOUNT_UNAUTHORIZED, NotificationEventType.ACCOUNT_RECOVERED],
      enabled: true,
      createdAt: timestampFromMs(T0),
    }),
    create(NotificationTargetSchema, { id: "n2", name: "audit-bot", urlHint: "https://example.com", format: NotificationFormat.GENERIC, events: [], enabled: false, hasSecret: true }),
  ];
  const creates: CreateNotificationTargetRequest[] = [];
  const updates: UpdateNotificationTargetRequest[] = [];
  const tests: string[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(NotificationService, {
      listNotificationTargets: async () => {
        if (options.failList) throw new ConnectError("the control plane's state store is unavailable", Code.Unavailable);
        return { targets: list };
      },
      createNotificationTarget: async (req) => {
        creates.push(req);
        const target = create(NotificationTargetSchema, { id: "n3", name: req.name, format: req.format, events: req.events, enabled: req.enabled, urlHint: "https://hooks.example" });
        list.push(target);
        return { target, secret: req.format === NotificationFormat.GENERIC ? SECRET : "" };
      },
      updateNotificationTarget: async (req) => {
        updates.push(req);
        const target = list.find((t) => t.id === req.id)!;
        Object.assign(target, { name: req.name, enabled: req.enabled, events: req.events });
        return { target };
      },
      deleteNotificationTarget: async () => ({}),
      listNotificationDeliveries: async () => ({
        deliveries: [
          create(NotificationDeliverySchema, { time: timestampFromMs(T0), event: NotificationEventType.ACCOUNT_UNAUTHORIZED, subject: "team-1", count: 10, statusCode: 200, attempts: 3, delivered: true }),
          create(NotificationDeliverySchema, { time: timestampFromMs(T0), event: NotificationEventType.POOL_NO_ACCOUNT, subject: "claude", count: 1, statusCode: 500, attempts: 5, error: "the target answered 500" }),
        ],
      }),
      sendTestNotification: async (req) => {
        tests.push(req.targetId);
        return { delivery: create(NotificationDeliverySchema, { test: true, delivered: false, statusCode: 404, attempts: 1, error: "the target answered 404" }) };
      },
    });
  });
  const wrapper = mount(NotificationsView, {
    global: { plugins: [createAppI18n(options.locale ?? "en"), ElementPlus], provide: { [transportKey as symbol]: transport } },
    attachTo: document.body,
  });
  return { wrapper, creates, updates, tests };
}

type Wrapper = ReturnType<typeof render>["wrapper"];
const q = (selector: string) => document.querySelector(selector) as HTMLElement | null;
const texts = (wrapper: Wrapper, testid: string) => wrapper.findAll(`[data-testid="${testid}"]`).map((el) => el.text());
const type = (selector: string, value: string) => {
  const input = q(selector) as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event("input"));
};

afterEach(() => {
  document.body.innerHTML = "";
  vi.restoreAllMocks();
});

// Element Plus tables and dialogs render slowly in happy-dom on a loaded machine.
describe("NotificationsView", { timeout: 30_000 }, () => {
  it("lists each webhook with its format, events and state", async () => {
    const { wrapper } = render();
    await flushPromises();
    expect(texts(wrapper, "notification-name")).toEqual(["on-call", "audit-bot"]);
    expect(texts(wrapper, "notification-format")).toEqual(["Slack", "Generic JSON (signed)"]);
    expect(texts(wrapper, "notification-event")).toEqual(["account.unauthorized", "account.recovered", "Every event"]);
    expect(texts(wrapper, "notification-state")).toEqual(["On", "Off"]);
    wrapper.unmount();
  });

  it("creates a generic webhook for chosen events and shows its signing secret once", async () => {
    const { wrapper, creates } = render();
    await flushPromises();
    await wrapper.get('[data-testid="create-notification"]').trigger("click");
    await vi.waitFor(() => expect(q('[data-testid="notification-form-name"] input')).not.toBeNull(), { timeout: 5_000 });
    type('[data-testid="notification-form-name"] input', "ops");
    type('[data-testid="notification-form-url"] input', "https://hooks.example/ops");
    (q('[data-testid="notification-form-all-events"] input') as HTMLInputElement).click();
    await flushPromises();
    (q('[data-testid="event-account.banned"] input') as HTMLInputElement).click();
    await flushPromises();
    (q('[data-testid="notification-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(creates).toHaveLength(1), { timeout: 5_000 });
    expect(creates[0]).toMatchObject({ name: "ops", url: "https://hooks.example/ops", format: NotificationFormat.GENERIC, events: [NotificationEventType.ACCOUNT_BANNED], enabled: true });
    await vi.waitFor(() => expect(q('[data-testid="plaintext-key"]')?.textContent).toBe(SECRET), { timeout: 5_000 });
    expect(document.body.textContent).toContain("The webhook's signing secret");
    wrapper.unmount();
  });

  it("asks for a URL before calling", async () => {
    const { wrapper, creates } = render();
    await flushPromises();
    await wrapper.get('[data-testid="create-notification"]').trigger("click");
    await vi.waitFor(() => expect(q('[data-testid="notification-form-name"] input')).not.toBeNull(), { timeout: 5_000 });
    type('[data-testid="notification-form-name"] input', "ops");
    (q('[data-testid="notification-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(q('[data-testid="form-error"]')?.textContent).toContain("Enter the webhook's URL."), { timeout: 5_000 });
    expect(creates).toEqual([]);
    wrapper.unmount();
  });

  it("edits a webhook, keeping its URL when left blank", async () => {
    const { wrapper, updates } = render();
    await flushPromises();
    await wrapper.findAll('[data-testid="edit-notification"]')[1]!.trigger("click");
    await vi.waitFor(() => expect((q('[data-testid="notification-form-name"] input') as HTMLInputElement | null)?.value).toBe("audit-bot"), { timeout: 5_000 });
    (q('[data-testid="notification-form-enabled"]') as HTMLElement).click();
    await flushPromises();
    (q('[data-testid="notification-form-submit"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(updates).toHaveLength(1), { timeout: 5_000 });
    expect(updates[0]).toMatchObject({ id: "n2", name: "audit-bot", url: "", enabled: true, events: [] });
    wrapper.unmount();
  });

  it("sends a test and reports a failure with its reason", async () => {
    const { wrapper, tests } = render();
    await flushPromises();
    await wrapper.findAll('[data-testid="test-notification"]')[0]!.trigger("click");
    await vi.waitFor(() => expect(tests).toEqual(["n1"]), { timeout: 5_000 });
    await vi.waitFor(() => expect(q(".el-message")?.textContent).toContain("Test to on-call failed: the target answered 404"), { timeout: 5_000 });
    wrapper.unmount();
  });

  it("shows a webhook's delivery log", async () => {
    const { wrapper } = render();
    await flushPromises();
    await wrapper.findAll('[data-testid="notification-deliveries"]')[0]!.trigger("click");
    await vi.waitFor(() => expect(document.querySelectorAll('[data-testid="delivery-event"]')).toHaveLength(2), { timeout: 5_000 });
    const all = (id: string) => [...document.querySelectorAll(`[data-testid="${id}"]`)].map((el) => el.textContent?.trim());
    expect(all("delivery-event")).toEqual(["account.unauthorized", "pool.no_account"]);
    expect(all("delivery-status")).toEqual(["200", "500"]);
    expect(all("delivery-error")).toEqual(["", "the target answered 500"]);
    wrapper.unmount();
  });

  it("says why the list could not be loaded", async () => {
    const { wrapper } = render({ failList: true });
    await flushPromises();
    expect(wrapper.get('[data-testid="notifications-error"]').text()).toContain("the control plane's state store is unavailable");
    wrapper.unmount();
  });

  it("is translated into Chinese", async () => {
    const { wrapper } = render({ locale: "zh-CN" });
    await flushPromises();
    expect(wrapper.get('[data-testid="create-notification"]').text()).toBe("添加 Webhook");
    expect(texts(wrapper, "notification-state")).toEqual(["启用", "停用"]);
    wrapper.unmount();
  });
});

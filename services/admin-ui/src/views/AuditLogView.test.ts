import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AuditEventSchema, AuditService, type AuditEvent, type ListAuditEventsRequest } from "@claude-relay/proto/admin";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it } from "vitest";
import { transportKey } from "../api/transport.js";
import { createAppI18n } from "../i18n/index.js";
import AuditLogView from "./AuditLogView.vue";

/** 30 events, newest first: every third by "ops", the rest by "admin". */
const EVENTS: AuditEvent[] = Array.from({ length: 30 }, (_, i) =>
  create(AuditEventSchema, {
    id: `${1_000 - i}-0`,
    time: timestampFromMs(1_750_000_000_000 - i * 60_000),
    actor: i % 3 === 0 ? "ops" : "admin",
    action: i === 0 ? "AccountService/DeleteAccount" : "AccountService/CreateAccount",
    targetId: `acct-${30 - i}`,
    targetName: `account-${30 - i}`,
    sourceAddress: "127.0.0.1",
    outcome: i === 1 ? "invalid_argument" : "ok",
  }),
);

/** An in-memory AuditService paging EVENTS by offset tokens, like the real one pages by id. */
function render(fail = false) {
  const calls: ListAuditEventsRequest[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(AuditService, {
      listAuditEvents: async (req) => {
        calls.push(req);
        if (fail) throw new ConnectError("the control plane's state store is unavailable", Code.Unavailable);
        const matching = EVENTS.filter((e) => (req.actor === "" || e.actor === req.actor) && e.action.toLowerCase().includes(req.action.toLowerCase()));
        const offset = req.pageToken === "" ? 0 : Number(req.pageToken);
        const page = matching.slice(offset, offset + req.pageSize);
        return { events: page, nextPageToken: offset + req.pageSize < matching.length ? String(offset + req.pageSize) : "" };
      },
    });
  });
  const wrapper = mount(AuditLogView, {
    global: { plugins: [createAppI18n("en"), ElementPlus], provide: { [transportKey as symbol]: transport } },
    attachTo: document.body,
  });
  return { wrapper, calls };
}

function names(wrapper: ReturnType<typeof render>["wrapper"]): string[] {
  return wrapper.findAll('[data-testid="audit-target-name"]').map((cell) => cell.text());
}

afterEach(() => {
  document.body.innerHTML = "";
});

describe("AuditLogView", () => {
  it("shows the newest page with actions, targets and outcomes", async () => {
    const { wrapper, calls } = render();
    await flushPromises();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ actor: "", action: "", pageSize: 25, pageToken: "" });
    expect(names(wrapper)).toHaveLength(25);
    expect(names(wrapper)[0]).toBe("account-30");
    expect(wrapper.findAll('[data-testid="audit-action"]')[0]?.text()).toBe("AccountService/DeleteAccount");
    const outcomes = wrapper.findAll('[data-testid="audit-outcome"]').map((tag) => tag.text());
    expect(outcomes.slice(0, 3)).toEqual(["Succeeded", "invalid_argument", "Succeeded"]);
    expect(wrapper.get('[data-testid="audit-page"]').text()).toBe("Page 1");
    wrapper.unmount();
  });

  it("pages older with the server's token and back newer", async () => {
    const { wrapper, calls } = render();
    await flushPromises();
    expect(wrapper.get('[data-testid="audit-newer"]').attributes("disabled")).toBeDefined();
    await wrapper.get('[data-testid="audit-older"]').trigger("click");
    await flushPromises();
    expect(calls[1]?.pageToken).toBe("25");
    expect(names(wrapper)).toEqual(["account-5", "account-4", "account-3", "account-2", "account-1"]);
    expect(wrapper.get('[data-testid="audit-page"]').text()).toBe("Page 2");
    expect(wrapper.get('[data-testid="audit-older"]').attributes("disabled")).toBeDefined();

    await wrapper.get('[data-testid="audit-newer"]').trigger("click");
    await flushPromises();
    expect(calls[2]?.pageToken).toBe("");
    expect(names(wrapper)[0]).toBe("account-30");
    wrapper.unmount();
  });

  it("filters by admin and action on Search, from the first page, and clears on Reset", async () => {
    const { wrapper, calls } = render();
    await flushPromises();
    await wrapper.get('[data-testid="audit-filter-actor"] input').setValue(" ops ");
    await wrapper.get('[data-testid="audit-filter-action"] input').setValue("Delete");
    await wrapper.get('[data-testid="audit-search"]').trigger("click");
    await flushPromises();
    expect(calls[calls.length - 1]).toMatchObject({ actor: "ops", action: "Delete", pageToken: "" });
    expect(names(wrapper)).toEqual(["account-30"]);

    await wrapper.get('[data-testid="audit-reset"]').trigger("click");
    await flushPromises();
    expect(calls[calls.length - 1]).toMatchObject({ actor: "", action: "" });
    expect(names(wrapper)).toHaveLength(25);
    wrapper.unmount();
  });

  it("says why the log could not be loaded", async () => {
    const { wrapper } = render(true);
    await flushPromises();
    expect(wrapper.get('[data-testid="audit-error"]').text()).toContain("the control plane's state store is unavailable");
    wrapper.unmount();
  });
});

import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  AccountSchema,
  AccountService,
  ApiKeySchema,
  ApiKeyService,
  SessionSchema,
  SessionService,
  SessionStatus,
  type ListSessionsRequest,
  type Session,
} from "@claude-relay/proto/admin";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { flushPromises, mount } from "@vue/test-utils";
import ElementPlus from "element-plus";
import { afterEach, describe, expect, it, vi } from "vitest";
import { transportKey } from "../api/transport.js";
import { createAppI18n } from "../i18n/index.js";
import SessionsView from "./SessionsView.vue";

const T0 = 1_750_000_000_000;

/** 60 sessions, newest first: on acc-1 with key-1, except every fifth on acc-2 with key-2 and failing. */
function sessions(): Session[] {
  return Array.from({ length: 60 }, (_, i) => {
    const other = i % 5 === 0;
    return create(SessionSchema, {
      sessionHash: `${String(i).padStart(4, "0")}${"f".repeat(60)}`,
      boundAccountId: other ? "acc-2" : "acc-1",
      lastAccountId: other ? "acc-2" : "acc-1",
      keyId: other ? "key-2" : "key-1",
      firstSeenAt: timestampFromMs(T0 - i * 60_000 - 3_600_000),
      lastSeenAt: timestampFromMs(T0 - i * 60_000),
      requestCount: 3,
      errorCount: other ? 1 : 0,
      lastStatus: other ? 529 : 200,
      status: other ? SessionStatus.ERROR : SessionStatus.OK,
      moveCount: other ? 1 : 0,
    });
  });
}

function render(options: { failList?: boolean } = {}) {
  const store = sessions();
  const calls: ListSessionsRequest[] = [];
  const unbound: string[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(SessionService, {
      listSessions: async (req) => {
        calls.push(req);
        if (options.failList) throw new ConnectError("the control plane's state store is unavailable", Code.Unavailable);
        const matching = store.filter(
          (s) => (req.keyId === "" || s.keyId === req.keyId) && (req.accountId === "" || s.boundAccountId === req.accountId) && (req.status === 0 || s.status === req.status),
        );
        const offset = req.pageToken === "" ? 0 : Number(req.pageToken);
        const next = offset + req.pageSize;
        return { sessions: matching.slice(offset, next), nextPageToken: next < matching.length ? String(next) : "" };
      },
      getSession: async () => ({}),
      unbindSession: async (req) => {
        unbound.push(req.sessionHash);
        const s = store.find((x) => x.sessionHash === req.sessionHash);
        if (!s) throw new ConnectError("session not found", Code.NotFound);
        Object.assign(s, { status: SessionStatus.UNBOUND, boundAccountId: "" });
        return { session: s };
      },
      getAffinityStats: async () => ({ hits: 96n, moves: 4n, newSessions: 60n }),
    });
    service(AccountService, {
      listAccounts: async () => ({ accounts: [create(AccountSchema, { id: "acc-1", name: "primary" }), create(AccountSchema, { id: "acc-2", name: "backup" })] }),
    });
    service(ApiKeyService, {
      listApiKeys: async () => ({ apiKeys: [create(ApiKeySchema, { id: "key-1", name: "ci-key" }), create(ApiKeySchema, { id: "key-2", name: "dev-key" })] }),
    });
  });
  const wrapper = mount(SessionsView, {
    global: { plugins: [createAppI18n("en"), ElementPlus], provide: { [transportKey as symbol]: transport } },
    attachTo: document.body,
  });
  return { wrapper, calls, unbound };
}

type Wrapper = ReturnType<typeof render>["wrapper"];

const texts = (wrapper: Wrapper, testid: string) => wrapper.findAll(`[data-testid="${testid}"]`).map((el) => el.text());

/** Opens an Element Plus select inside the form item with `testid` and clicks the option labelled `label`. */
async function choose(wrapper: Wrapper, testid: string, label: string): Promise<void> {
  await wrapper.get(`[data-testid="${testid}"] .el-select__wrapper`).trigger("click");
  await flushPromises();
  const option = [...document.querySelectorAll(".el-select-dropdown__item")].find((el) => el.textContent?.trim() === label);
  expect(option, `option ${label}`).toBeDefined();
  (option as HTMLElement).click();
  await flushPromises();
}

afterEach(() => {
  document.body.innerHTML = "";
});

// Element Plus tables and selects render slowly in happy-dom on a loaded machine.
describe("SessionsView", { timeout: 30_000 }, () => {
  it("lists the newest sessions with account and key names, and the affinity counters", async () => {
    const { wrapper, calls } = render();
    await flushPromises();
    expect(calls[0]).toMatchObject({ keyId: "", accountId: "", status: SessionStatus.UNSPECIFIED, pageSize: 50, pageToken: "" });
    expect(texts(wrapper, "session-hash")).toHaveLength(50);
    expect(texts(wrapper, "session-hash")[0]).toBe("0000ffffffff…");
    expect(texts(wrapper, "session-account").slice(0, 2)).toEqual(["backup", "primary"]);
    expect(texts(wrapper, "session-status").slice(0, 2)).toEqual(["Error", "OK"]);
    expect(wrapper.get('[data-testid="affinity-kept"]').text()).toBe("96% of bound requests kept their account");
    wrapper.unmount();
  });

  it("loads the next page on Load more and hides the button at the end", async () => {
    const { wrapper, calls } = render();
    await flushPromises();
    await wrapper.get('[data-testid="sessions-more"]').trigger("click");
    await flushPromises();
    expect(calls[1]?.pageToken).toBe("50");
    expect(texts(wrapper, "session-hash")).toHaveLength(60);
    expect(wrapper.find('[data-testid="sessions-more"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it("filters by status and account on Search, and Reset shows every session again", async () => {
    const { wrapper, calls } = render();
    await flushPromises();
    await choose(wrapper, "session-filter-status", "Error");
    await choose(wrapper, "session-filter-account", "backup");
    expect(calls).toHaveLength(1);
    await wrapper.get('[data-testid="session-search"]').trigger("click");
    await flushPromises();
    expect(calls.at(-1)).toMatchObject({ status: SessionStatus.ERROR, accountId: "acc-2", keyId: "" });
    expect(texts(wrapper, "session-status")).toEqual(Array(12).fill("Error"));
    await wrapper.get('[data-testid="session-reset"]').trigger("click");
    await flushPromises();
    expect(calls.at(-1)).toMatchObject({ status: SessionStatus.UNSPECIFIED, accountId: "" });
    expect(texts(wrapper, "session-hash")).toHaveLength(50);
    wrapper.unmount();
  });

  it("unbinds a session only after the confirmation and shows it unbound", async () => {
    const { wrapper, unbound } = render();
    await flushPromises();
    await wrapper.findAll('[data-testid="unbind-session"]')[1]?.trigger("click");
    await vi.waitFor(() => expect(document.querySelector(".el-message-box")).not.toBeNull(), { timeout: 5_000 });
    expect(document.querySelector(".el-message-box")?.textContent).toContain("Unbind session 0001ffffffff…?");
    expect(unbound).toEqual([]);
    (document.querySelector(".el-message-box__btns .el-button--primary") as HTMLButtonElement).click();
    await vi.waitFor(() => expect(unbound).toHaveLength(1), { timeout: 5_000 });
    expect(unbound[0]).toMatch(/^0001f+$/);
    await vi.waitFor(() => expect(texts(wrapper, "session-status")[1]).toBe("Unbound"), { timeout: 5_000 });
    wrapper.unmount();
  });

  it("shows every field of a session in the details drawer", async () => {
    const { wrapper } = render();
    await flushPromises();
    await wrapper.findAll('[data-testid="session-details"]')[0]?.trigger("click");
    await vi.waitFor(() => expect(document.querySelector('[data-testid="session-details-hash"]')?.textContent).toBe(`0000${"f".repeat(60)}`), {
      timeout: 5_000,
    });
    const details = document.querySelector('[data-testid="session-details-list"]')?.textContent ?? "";
    expect(details).toContain("backup (acc-2)");
    expect(details).toContain("dev-key (key-2)");
    expect(details).toContain("529");
    wrapper.unmount();
  });

  it("says why the list could not be loaded", async () => {
    const { wrapper } = render({ failList: true });
    await flushPromises();
    expect(wrapper.get('[data-testid="sessions-error"]').text()).toContain("the control plane's state store is unavailable");
    wrapper.unmount();
  });
});

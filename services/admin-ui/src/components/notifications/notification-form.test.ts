import { create } from "@bufbuild/protobuf";
import { NotificationEventType, NotificationFormat, NotificationTargetSchema } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { emptyNotificationForm, eventName, formOf, toCreateRequest, toUpdateRequest, type NotificationFormValues } from "./notification-form.js";

const form = (patch: Partial<NotificationFormValues>): NotificationFormValues => ({ ...emptyNotificationForm(), name: "ops", url: "https://hooks.example/x", ...patch });

describe("toCreateRequest", () => {
  it.each<[string, Partial<NotificationFormValues>, string]>([
    ["a blank name", { name: "  " }, "nameRequired"],
    ["no URL", { url: "" }, "urlRequired"],
    ["a URL that is not http", { url: "ftp://x" }, "urlInvalid"],
    ["no event chosen", { allEvents: false, events: [] }, "eventsRequired"],
  ])("refuses %s", (_what, patch, problem) => {
    expect(toCreateRequest(form(patch))).toEqual({ ok: false, problem });
  });

  it("sends the chosen events in the page's order, and every event as an empty list", () => {
    const chosen = toCreateRequest(form({ allEvents: false, events: [NotificationEventType.ACCOUNT_RECOVERED, NotificationEventType.ACCOUNT_UNAUTHORIZED] }));
    expect(chosen).toMatchObject({ ok: true, request: { events: [NotificationEventType.ACCOUNT_UNAUTHORIZED, NotificationEventType.ACCOUNT_RECOVERED] } });
    expect(toCreateRequest(form({ events: [NotificationEventType.ACCOUNT_BANNED] }))).toMatchObject({ ok: true, request: { events: [] } });
  });

  it("sends a signing secret for Feishu and DingTalk only", () => {
    expect(toCreateRequest(form({ format: NotificationFormat.FEISHU, secret: " s1 " }))).toMatchObject({ ok: true, request: { secret: "s1" } });
    expect(toCreateRequest(form({ format: NotificationFormat.SLACK, secret: "s1" }))).toMatchObject({ ok: true, request: { secret: "" } });
  });
});

describe("toUpdateRequest", () => {
  it("keeps the stored URL and secret when left blank, and can clear the secret", () => {
    const target = create(NotificationTargetSchema, { id: "n1", name: "ding", format: NotificationFormat.DINGTALK, events: [], enabled: false, hasSecret: true });
    expect(toUpdateRequest("n1", formOf(target))).toEqual({ ok: true, request: { id: "n1", name: "ding", url: "", events: [], enabled: false, secret: "", clearSecret: false } });
    expect(toUpdateRequest("n1", { ...formOf(target), clearSecret: true, secret: "ignored" })).toMatchObject({ ok: true, request: { secret: "", clearSecret: true } });
  });
});

describe("eventName", () => {
  it("gives the name webhooks carry", () => {
    expect(eventName(NotificationEventType.POOL_NO_ACCOUNT)).toBe("pool.no_account");
  });
});

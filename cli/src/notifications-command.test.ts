import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  NotificationDeliverySchema,
  NotificationEventType,
  NotificationFormat,
  NotificationService,
  NotificationTargetSchema,
  type CreateNotificationTargetRequest,
  type NotificationDelivery,
  type NotificationTarget,
} from "@claude-relay/proto/admin";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { EVENTS, FORMATS, NOTIFICATIONS_HELP, notificationsCommand, parseEvents } from "./notifications-command.js";

function fakeNotifications(options: { targets?: NotificationTarget[]; deliveries?: NotificationDelivery[]; test?: NotificationDelivery } = {}) {
  const creates: CreateNotificationTargetRequest[] = [];
  const deletes: string[] = [];
  const tests: string[] = [];
  const transport = createRouterTransport(({ service }) => {
    service(NotificationService, {
      createNotificationTarget: async (req) => {
        creates.push(req);
        const target = create(NotificationTargetSchema, { id: "n-new", name: req.name, format: req.format, events: req.events, enabled: req.enabled });
        return { target, secret: req.format === NotificationFormat.GENERIC ? "whsec_shown_once" : "" };
      },
      listNotificationTargets: async () => ({ targets: options.targets ?? [] }),
      deleteNotificationTarget: async (req) => {
        if (req.id === "missing") throw new ConnectError("notification target missing not found", Code.NotFound);
        deletes.push(req.id);
        return {};
      },
      sendTestNotification: async (req) => {
        tests.push(req.targetId);
        return { delivery: options.test ?? create(NotificationDeliverySchema, { test: true, delivered: true, statusCode: 200, attempts: 1 }) };
      },
      listNotificationDeliveries: async () => ({ deliveries: options.deliveries ?? [] }),
    });
  });
  return { client: createClient(NotificationService, transport), creates, deletes, tests };
}

async function run(args: string[], client: ReturnType<typeof fakeNotifications>["client"]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await notificationsCommand(args, client, (line) => lines.push(line));
  return { code, lines };
}

describe("notifications add", () => {
  it("adds a signed generic target for some events and shows its secret once", async () => {
    const { client, creates } = fakeNotifications();
    const { code, lines } = await run(["add", "--url", "https://ops.example.com/hooks/relay", "--format", "generic", "--events", "account.unauthorized,account.recovered", "--name", "ops"], client);
    expect(code).toBe(0);
    expect(creates[0]).toMatchObject({
      name: "ops",
      url: "https://ops.example.com/hooks/relay",
      format: NotificationFormat.GENERIC,
      events: [NotificationEventType.ACCOUNT_UNAUTHORIZED, NotificationEventType.ACCOUNT_RECOVERED],
      enabled: true,
      secret: "",
    });
    expect(lines[0]).toContain("shown this once:\n\n  whsec_shown_once\n");
  });

  it("names a target after its URL's host, wants every event by default, and passes a bot's signing secret", async () => {
    const { client, creates } = fakeNotifications();
    const { lines } = await run(["add", "--url", "https://open.feishu.cn/open-apis/bot/v2/hook/abc", "--format", "feishu", "--secret", "bot-secret", "--disabled", "--json"], client);
    expect(creates[0]).toMatchObject({ name: "open.feishu.cn", format: NotificationFormat.FEISHU, events: [], enabled: false, secret: "bot-secret" });
    expect(JSON.parse(lines[0] ?? "")).toEqual({ id: "n-new", name: "open.feishu.cn", secret: "" });
  });

  it("refuses to add without a URL, a known format or known events", async () => {
    const { client, creates } = fakeNotifications();
    await expect(run(["add", "--format", "slack"], client)).rejects.toThrow("needs --url");
    await expect(run(["add", "--url", "https://hooks.slack.com/services/x"], client)).rejects.toThrow("needs --format, one of generic, slack, discord, feishu, dingtalk, wecom");
    await expect(run(["add", "--url", "https://hooks.slack.com/services/x", "--format", "teams"], client)).rejects.toThrow("needs --format");
    await expect(run(["add", "--url", "https://x.example", "--format", "slack", "--events", "account.down"], client)).rejects.toThrow("--events: unknown account.down");
    await expect(run(["add", "--url", "not a url", "--format", "slack"], client)).rejects.toThrow("--url must be an http or https URL");
    expect(creates).toHaveLength(0);
  });
});

describe("notifications list, remove, test and deliveries", () => {
  it("lists each target's format, host, events and state, never a URL's path", async () => {
    const targets = [
      create(NotificationTargetSchema, { id: "n1", name: "ops", format: NotificationFormat.SLACK, urlHint: "https://hooks.slack.com", events: [], enabled: true }),
      create(NotificationTargetSchema, {
        id: "n2",
        name: "pager",
        format: NotificationFormat.GENERIC,
        urlHint: "https://pager.example",
        events: [NotificationEventType.ACCOUNT_BANNED, NotificationEventType.REPLICA_REDIS_UNREACHABLE],
        enabled: false,
        hasSecret: true,
      }),
    ];
    const { lines } = await run(["list"], fakeNotifications({ targets }).client);
    const rows = (lines[0] ?? "").split("\n");
    expect(rows[0]).toMatch(/^ID\s+NAME\s+FORMAT\s+URL\s+EVENTS\s+STATE\s+SECRET$/);
    expect(rows[1]).toMatch(/^n1\s+ops\s+slack\s+https:\/\/hooks\.slack\.com\s+all\s+enabled\s+no$/);
    expect(rows[2]).toMatch(/^n2\s+pager\s+generic\s+https:\/\/pager\.example\s+account\.banned,replica\.redis_unreachable\s+disabled\s+yes$/);
  });

  it("removes by id, and lets a server refusal through", async () => {
    const { client, deletes } = fakeNotifications();
    expect((await run(["remove", "n1"], client)).lines).toEqual(["notification target n1 removed"]);
    expect(deletes).toEqual(["n1"]);
    await expect(run(["remove", "missing"], client)).rejects.toThrow("not found");
    await expect(run(["remove"], client)).rejects.toThrow("an ID is required");
  });

  it("sends a test and exits 1 when the target did not take it", async () => {
    const ok = fakeNotifications();
    expect(await run(["test", "n1"], ok.client)).toEqual({ code: 0, lines: ["test delivered (HTTP 200)"] });
    expect(ok.tests).toEqual(["n1"]);
    const failing = fakeNotifications({ test: create(NotificationDeliverySchema, { test: true, delivered: false, statusCode: 502, attempts: 1, error: "the target answered 502" }) });
    expect(await run(["test", "n1"], failing.client)).toEqual({ code: 1, lines: ["test not delivered: the target answered 502"] });
  });

  it("shows a target's latest deliveries with their count, status, tries and result", async () => {
    const deliveries = [
      create(NotificationDeliverySchema, {
        time: timestampFromMs(Date.parse("2030-05-01T10:00:00Z")),
        event: NotificationEventType.ACCOUNT_RECOVERED,
        subject: "team-1",
        count: 1,
        statusCode: 200,
        attempts: 3,
        delivered: true,
      }),
      create(NotificationDeliverySchema, { event: NotificationEventType.ACCOUNT_UNAUTHORIZED, subject: "example-account", count: 1, attempts: 1, error: "timed out", test: true }),
    ];
    const { lines } = await run(["deliveries", "n1"], fakeNotifications({ deliveries }).client);
    const rows = (lines[0] ?? "").split("\n");
    expect(rows[0]).toMatch(/^TIME\s+EVENT\s+SUBJECT\s+COUNT\s+STATUS\s+TRIES\s+RESULT$/);
    expect(rows[1]).toMatch(/^2030-05-01T10:00:00Z\s+account\.recovered\s+team-1\s+1\s+200\s+3\s+delivered$/);
    expect(rows[2]).toMatch(/^-\s+account\.unauthorized \(test\)\s+example-account\s+1\s+-\s+1\s+timed out$/);
  });

  it("prints its help for an unknown subcommand", async () => {
    await expect(run(["frobnicate"], fakeNotifications().client)).rejects.toThrow(NOTIFICATIONS_HELP);
  });
});

describe("parseEvents and the help", () => {
  it("reads a comma list once each, and names every format and event", () => {
    expect(parseEvents(" key.limit_reached, key.limit_reached ,pool.no_account")).toEqual([NotificationEventType.KEY_LIMIT_REACHED, NotificationEventType.POOL_NO_ACCOUNT]);
    expect(parseEvents(undefined)).toEqual([]);
    for (const name of [...Object.keys(FORMATS), ...Object.keys(EVENTS)]) expect(NOTIFICATIONS_HELP).toContain(name);
    // Every event the server knows has a name here.
    const known = Object.values(NotificationEventType).filter((v) => typeof v === "number" && v !== NotificationEventType.UNSPECIFIED);
    expect(Object.values(EVENTS).sort()).toEqual(known.sort());
  });
});

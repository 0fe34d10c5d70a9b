/**
 * `claude-relay notifications list|add|remove|test|deliveries`: webhook
 * targets through the admin API, named on the command line as the generic
 * body names them (formats "slack", events "account.unauthorized"). A target's
 * URL and secret never come back from the server: the list shows the URL's
 * host, and a generic target's generated secret is printed once, by add.
 */
import { parseArgs } from "node:util";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { NotificationEventType, NotificationFormat, type NotificationDelivery, type NotificationService, type NotificationTarget } from "@claude-relay/proto/admin";
import type { Client } from "@connectrpc/connect";
import { requireId } from "./accounts-command.js";
import { formatTime, jsonText, table } from "./format.js";
import { UsageError } from "./usage-error.js";

/** Formats by their command-line name. */
export const FORMATS: Readonly<Record<string, NotificationFormat>> = {
  generic: NotificationFormat.GENERIC,
  slack: NotificationFormat.SLACK,
  discord: NotificationFormat.DISCORD,
  feishu: NotificationFormat.FEISHU,
  dingtalk: NotificationFormat.DINGTALK,
  wecom: NotificationFormat.WECOM,
};

/** Events by their name in the generic body. */
export const EVENTS: Readonly<Record<string, NotificationEventType>> = {
  "account.rate_limited": NotificationEventType.ACCOUNT_RATE_LIMITED,
  "account.overloaded": NotificationEventType.ACCOUNT_OVERLOADED,
  "account.unauthorized": NotificationEventType.ACCOUNT_UNAUTHORIZED,
  "account.banned": NotificationEventType.ACCOUNT_BANNED,
  "account.recovered": NotificationEventType.ACCOUNT_RECOVERED,
  "oauth.refresh_failed": NotificationEventType.OAUTH_REFRESH_FAILED,
  "key.limit_reached": NotificationEventType.KEY_LIMIT_REACHED,
  "pool.no_account": NotificationEventType.POOL_NO_ACCOUNT,
  "replica.redis_unreachable": NotificationEventType.REPLICA_REDIS_UNREACHABLE,
};

export const NOTIFICATIONS_HELP = `claude-relay notifications <command>
  list [--json]
  add --url URL --format ${Object.keys(FORMATS).join("|")} [--name N (default the URL's host)]
      [--events e1,e2 (default every event)] [--secret S (feishu, dingtalk: the bot's signing secret)]
      [--disabled] [--json]
      events: ${Object.keys(EVENTS).join(", ")}
      a generic target is signed with a generated secret, shown this once
      (a --url after "notifications" is the webhook's; give the admin API's before it, or in $CLAUDE_RELAY_ADMIN_URL)
  remove ID
  test ID                 sends a sample event now and shows how it went (exit 1 when not delivered)
  deliveries ID [--json]  the target's latest deliveries, newest first`;

/** The events of `--events a,b`, each known, once each; none given means every event. */
export function parseEvents(value: string | undefined): NotificationEventType[] {
  const names = [...new Set((value ?? "").split(",").map((s) => s.trim()).filter(Boolean))];
  const unknown = names.filter((name) => !(name in EVENTS));
  if (unknown.length > 0) throw new UsageError(`--events: unknown ${unknown.join(", ")}; use ${Object.keys(EVENTS).join(", ")}`);
  return names.map((name) => EVENTS[name] as NotificationEventType);
}

/** The format of `--format NAME`. */
export function parseFormat(value: string | undefined): NotificationFormat {
  const format = value === undefined ? undefined : FORMATS[value.trim().toLowerCase()];
  if (format === undefined) throw new UsageError(`notifications add needs --format, one of ${Object.keys(FORMATS).join(", ")}`);
  return format;
}

/** Runs one notifications subcommand; resolves with the exit code. */
export async function notificationsCommand(args: string[], notifications: Client<typeof NotificationService>, out: (line: string) => void): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      name: { type: "string" },
      url: { type: "string" },
      format: { type: "string" },
      events: { type: "string" },
      secret: { type: "string" },
      disabled: { type: "boolean" },
      json: { type: "boolean" },
    },
    allowPositionals: true,
  });
  switch (sub) {
    case "list": {
      const { targets } = await notifications.listNotificationTargets({});
      out(values.json ? jsonText(targets) : targetTable(targets));
      return 0;
    }
    case "add": {
      if (!values.url) throw new UsageError("notifications add needs --url (the webhook's URL)");
      const format = parseFormat(values.format);
      const res = await notifications.createNotificationTarget({
        name: values.name ?? hostOf(values.url),
        url: values.url,
        format,
        events: parseEvents(values.events),
        enabled: values.disabled !== true,
        secret: values.secret ?? "",
      });
      const target = res.target;
      if (values.json) out(JSON.stringify({ id: target?.id, name: target?.name, secret: res.secret }));
      else if (res.secret) out(`notification target ${target?.id} created (${target?.name}). Its signing secret is shown this once:\n\n  ${res.secret}\n`);
      else out(`notification target ${target?.id} created (${target?.name})`);
      return 0;
    }
    case "remove": {
      const id = requireId(positionals);
      await notifications.deleteNotificationTarget({ id });
      out(`notification target ${id} removed`);
      return 0;
    }
    case "test": {
      const { delivery } = await notifications.sendTestNotification({ targetId: requireId(positionals) });
      if (delivery?.delivered) {
        out(`test delivered (HTTP ${delivery.statusCode})`);
        return 0;
      }
      out(`test not delivered: ${delivery?.error || "no answer"}`);
      return 1;
    }
    case "deliveries": {
      const { deliveries } = await notifications.listNotificationDeliveries({ targetId: requireId(positionals) });
      out(values.json ? jsonText(deliveries) : deliveryTable(deliveries));
      return 0;
    }
    default:
      throw new UsageError(NOTIFICATIONS_HELP);
  }
}

/** The URL's host: a target's default name. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    throw new UsageError("--url must be an http or https URL");
  }
}

const formatName = (format: NotificationFormat) => Object.keys(FORMATS).find((name) => FORMATS[name] === format) ?? "unknown";
const eventName = (event: NotificationEventType) => Object.keys(EVENTS).find((name) => EVENTS[name] === event) ?? "unknown";

function targetTable(targets: NotificationTarget[]): string {
  return table(
    ["ID", "NAME", "FORMAT", "URL", "EVENTS", "STATE", "SECRET"],
    targets.map((t) => [
      t.id,
      t.name,
      formatName(t.format),
      t.urlHint,
      t.events.length === 0 ? "all" : t.events.map(eventName).join(","),
      t.enabled ? "enabled" : "disabled",
      t.hasSecret ? "yes" : "no",
    ]),
  );
}

function deliveryTable(deliveries: NotificationDelivery[]): string {
  return table(
    ["TIME", "EVENT", "SUBJECT", "COUNT", "STATUS", "TRIES", "RESULT"],
    deliveries.map((d) => [
      formatTime(d.time ? timestampMs(d.time) : undefined),
      `${eventName(d.event)}${d.test ? " (test)" : ""}`,
      d.subject,
      String(d.count),
      d.statusCode === 0 ? "-" : String(d.statusCode),
      String(d.attempts),
      d.delivered ? "delivered" : d.error || "failed",
    ]),
  );
}

/**
 * The Notifications page's form and names: the formats and events offered (the
 * control plane's set, notifications/ there), the check before a request is
 * sent, and the event type's wire name shown beside its label. The server
 * checks again.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  NotificationEventType,
  NotificationFormat,
  type CreateNotificationTargetRequestSchema,
  type NotificationTarget,
  type UpdateNotificationTargetRequestSchema,
} from "@claude-relay/proto/admin";

/** Formats in the order the form shows them, with their i18n key under notifications.format. */
export const FORMATS = [
  [NotificationFormat.GENERIC, "generic"],
  [NotificationFormat.SLACK, "slack"],
  [NotificationFormat.DISCORD, "discord"],
  [NotificationFormat.FEISHU, "feishu"],
  [NotificationFormat.DINGTALK, "dingtalk"],
  [NotificationFormat.WECOM, "wecom"],
] as const;

/** Events in the order the form shows them, with the name webhooks carry. */
export const EVENTS = [
  [NotificationEventType.ACCOUNT_RATE_LIMITED, "account.rate_limited"],
  [NotificationEventType.ACCOUNT_OVERLOADED, "account.overloaded"],
  [NotificationEventType.ACCOUNT_UNAUTHORIZED, "account.unauthorized"],
  [NotificationEventType.ACCOUNT_BANNED, "account.banned"],
  [NotificationEventType.ACCOUNT_RECOVERED, "account.recovered"],
  [NotificationEventType.OAUTH_REFRESH_FAILED, "oauth.refresh_failed"],
  [NotificationEventType.KEY_LIMIT_REACHED, "key.limit_reached"],
  [NotificationEventType.POOL_NO_ACCOUNT, "pool.no_account"],
  [NotificationEventType.REPLICA_REDIS_UNREACHABLE, "replica.redis_unreachable"],
] as const;

/** The i18n key (under notifications.format) of a format. */
export function formatKey(format: NotificationFormat): string {
  return FORMATS.find(([value]) => value === format)?.[1] ?? "unknown";
}

/** The wire name of an event type, e.g. "account.unauthorized". */
export function eventName(event: NotificationEventType): string {
  return EVENTS.find(([value]) => value === event)?.[1] ?? "unknown";
}

/** True for the formats that take an optional signing secret from the admin. */
export function takesSecret(format: NotificationFormat): boolean {
  return format === NotificationFormat.FEISHU || format === NotificationFormat.DINGTALK;
}

/** What the form holds. */
export interface NotificationFormValues {
  name: string;
  /** Empty while editing keeps the stored URL. */
  url: string;
  format: NotificationFormat;
  /** Every event when `allEvents`. */
  allEvents: boolean;
  events: NotificationEventType[];
  enabled: boolean;
  /** Feishu and DingTalk; empty while editing keeps the stored one. */
  secret: string;
  clearSecret: boolean;
}

/** A problem the form shows instead of calling; its i18n key under notifications. */
export type NotificationFormProblem = "nameRequired" | "urlRequired" | "urlInvalid" | "eventsRequired";

/** An empty form: a generic target for every event, on. */
export function emptyNotificationForm(): NotificationFormValues {
  return { name: "", url: "", format: NotificationFormat.GENERIC, allEvents: true, events: [], enabled: true, secret: "", clearSecret: false };
}

/** The form of an existing target, its URL and secret left blank (they are never sent back). */
export function formOf(target: NotificationTarget): NotificationFormValues {
  return { ...emptyNotificationForm(), name: target.name, format: target.format, allEvents: target.events.length === 0, events: [...target.events], enabled: target.enabled };
}

type Checked<T> = { ok: true; request: T } | { ok: false; problem: NotificationFormProblem };

function check(values: NotificationFormValues, urlRequired: boolean): { problem?: NotificationFormProblem; name: string; url: string; events: NotificationEventType[] } {
  const name = values.name.trim();
  const url = values.url.trim();
  const events = values.allEvents ? [] : EVENTS.map(([value]) => value).filter((value) => values.events.includes(value));
  if (name === "") return { problem: "nameRequired", name, url, events };
  if (url === "" && urlRequired) return { problem: "urlRequired", name, url, events };
  if (url !== "" && !/^https?:\/\/[^\s/]+/i.test(url)) return { problem: "urlInvalid", name, url, events };
  if (!values.allEvents && events.length === 0) return { problem: "eventsRequired", name, url, events };
  return { name, url, events };
}

/** The CreateNotificationTarget request of the form, or the problem to show. */
export function toCreateRequest(values: NotificationFormValues): Checked<MessageInitShape<typeof CreateNotificationTargetRequestSchema>> {
  const { problem, name, url, events } = check(values, true);
  if (problem) return { ok: false, problem };
  const secret = takesSecret(values.format) ? values.secret.trim() : "";
  return { ok: true, request: { name, url, format: values.format, events, enabled: values.enabled, secret } };
}

/** The UpdateNotificationTarget request of the form for target `id`, or the problem to show. */
export function toUpdateRequest(id: string, values: NotificationFormValues): Checked<MessageInitShape<typeof UpdateNotificationTargetRequestSchema>> {
  const { problem, name, url, events } = check(values, false);
  if (problem) return { ok: false, problem };
  const secret = takesSecret(values.format) && !values.clearSecret ? values.secret.trim() : "";
  return { ok: true, request: { id, name, url, events, enabled: values.enabled, secret, clearSecret: takesSecret(values.format) && values.clearSecret } };
}

/**
 * NotificationService: webhook targets, their delivery logs and test sends.
 * Proto enums are mapped to the stored names here, both ways, and nowhere
 * else; what a target may be is target-store's, whose refusals come back as
 * INVALID_ARGUMENT naming the field. A URL and a secret never come back: the
 * list shows the URL's host, and a generic target's secret is in
 * CreateNotificationTarget's answer only.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  NotificationEventType,
  NotificationFormat,
  type NotificationDeliverySchema,
  type NotificationService,
  type NotificationTargetSchema,
} from "@claude-relay/proto/admin";
import type { DeliveryLog, DeliveryLogEntry } from "../../notifications/delivery-log.js";
import type { NotificationEventType as EventName } from "../../notifications/notification-event.js";
import type { Notifier } from "../../notifications/notifier.js";
import { NotificationTargetInputError, type NotificationTargetRecord, type NotificationTargetStore } from "../../notifications/target-store.js";
import type { WebhookFormat } from "../../notifications/webhook-formats.js";
import { checkNonEmpty, invalidArgument, notFound } from "./field-checks.js";

/** Dependencies of createNotificationService. */
export interface NotificationServiceDeps {
  targets: Pick<NotificationTargetStore, "create" | "list" | "get" | "update" | "delete">;
  deliveryLog: Pick<DeliveryLog, "list">;
  notifier: Pick<Notifier, "sendTest">;
}

const FORMATS: Readonly<Record<WebhookFormat, NotificationFormat>> = {
  generic: NotificationFormat.GENERIC,
  slack: NotificationFormat.SLACK,
  discord: NotificationFormat.DISCORD,
  feishu: NotificationFormat.FEISHU,
  dingtalk: NotificationFormat.DINGTALK,
  wecom: NotificationFormat.WECOM,
};

const EVENTS: Readonly<Record<EventName, NotificationEventType>> = {
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

/** The NotificationService implementation. */
export function createNotificationService({ targets, deliveryLog, notifier }: NotificationServiceDeps): ServiceImpl<typeof NotificationService> {
  const existing = async (id: string) => {
    const record = await targets.get(checkNonEmpty("id", id));
    if (!record) throw notFound("notification target", id);
    return record;
  };

  return {
    async createNotificationTarget(req) {
      const format = fromProto(FORMATS, req.format);
      if (format === undefined) throw invalidArgument("format", "choose a format");
      const { record, secret } = await fieldErrors(() =>
        targets.create({ name: req.name, url: req.url, format, events: eventsFromProto(req.events), enabled: req.enabled, secret: req.secret }),
      );
      return { target: toTargetMessage(record), secret };
    },

    async listNotificationTargets() {
      return { targets: (await targets.list()).map(toTargetMessage) };
    },

    async updateNotificationTarget(req) {
      await existing(req.id);
      const record = await fieldErrors(() =>
        targets.update(req.id, {
          name: req.name,
          events: eventsFromProto(req.events),
          enabled: req.enabled,
          ...(req.url.trim() !== "" && { url: req.url }),
          ...(req.clearSecret ? { secret: "" } : req.secret.trim() !== "" && { secret: req.secret }),
        }),
      );
      if (!record) throw notFound("notification target", req.id);
      return { target: toTargetMessage(record) };
    },

    async deleteNotificationTarget(req) {
      if (!(await targets.delete(checkNonEmpty("id", req.id)))) throw notFound("notification target", req.id);
      return {};
    },

    async listNotificationDeliveries(req) {
      const record = await existing(req.targetId);
      return { deliveries: (await deliveryLog.list(record.id)).map(toDeliveryMessage) };
    },

    async sendTestNotification(req) {
      const record = await existing(req.targetId);
      const entry = await notifier.sendTest(record.id);
      if (!entry) throw notFound("notification target", req.targetId);
      return { delivery: toDeliveryMessage(entry) };
    },
  };
}

/** The wire form of a stored target. */
export function toTargetMessage(record: NotificationTargetRecord): MessageInitShape<typeof NotificationTargetSchema> {
  return {
    id: record.id,
    name: record.name,
    urlHint: record.urlHint,
    format: FORMATS[record.format],
    events: record.events.map((event) => EVENTS[event]),
    enabled: record.enabled,
    hasSecret: record.hasSecret,
    createdAt: timestampFromMs(record.createdAtMs),
    updatedAt: timestampFromMs(record.updatedAtMs),
  };
}

/** The wire form of a delivery log entry. */
export function toDeliveryMessage(entry: DeliveryLogEntry): MessageInitShape<typeof NotificationDeliverySchema> {
  return {
    time: timestampFromMs(entry.atMs),
    event: EVENTS[entry.event] ?? NotificationEventType.UNSPECIFIED,
    subject: entry.subject,
    count: entry.count,
    statusCode: entry.statusCode,
    attempts: entry.attempts,
    error: entry.error,
    delivered: entry.delivered,
    test: entry.test,
  };
}

function eventsFromProto(events: readonly NotificationEventType[]): EventName[] {
  return events.map((event) => {
    const name = fromProto(EVENTS, event);
    if (name === undefined) throw invalidArgument("events", `unknown event ${event}`);
    return name;
  });
}

function fromProto<K extends string, V>(table: Readonly<Record<K, V>>, value: V): K | undefined {
  return (Object.keys(table) as K[]).find((key) => table[key] === value);
}

/** Runs a store call, turning its input refusals into INVALID_ARGUMENT naming the field. */
async function fieldErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof NotificationTargetInputError) throw invalidArgument(err.field, err.message);
    throw err;
  }
}

/**
 * Webhook targets in Redis: one hash (RedisKeys.notifications("targets")),
 * field = target id, value = JSON record. The URL and the signing secret are
 * sealed together with the credential cipher, because a webhook URL is itself
 * a credential (Slack, Discord and WeCom put their token in it); only the
 * scheme and host are kept in the clear, to show. A generic target's secret is
 * generated here and returned once, by create. What a target may be is
 * checked here too, and refused with NotificationTargetInputError naming the
 * field.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { CredentialCipher } from "../accounts/credential-cipher.js";
import type { RedisClient } from "../redis/client.js";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import type { NotificationEventType } from "./notification-event.js";
import { WEBHOOK_FORMATS, type WebhookEndpoint, type WebhookFormat } from "./webhook-formats.js";

/** A stored target, without its URL and secret. */
export interface NotificationTargetRecord {
  id: string;
  name: string;
  format: WebhookFormat;
  /** Empty: every event. */
  events: NotificationEventType[];
  enabled: boolean;
  /** Scheme and host of the URL. */
  urlHint: string;
  hasSecret: boolean;
  createdAtMs: number;
  updatedAtMs: number;
}

/** Input of create. */
export interface NewNotificationTarget {
  name: string;
  url: string;
  format: WebhookFormat;
  events: NotificationEventType[];
  enabled: boolean;
  /** Feishu and DingTalk only; "" for none. Ignored for generic targets, which get a generated one. */
  secret?: string;
}

/** Input of update; absent fields keep their value. */
export interface NotificationTargetPatch {
  name?: string;
  url?: string;
  events?: NotificationEventType[];
  enabled?: boolean;
  /** Feishu and DingTalk: a new secret, or "" to forget it. */
  secret?: string;
}

/** A target with its endpoint opened, for sending. */
export interface OpenedTarget {
  record: NotificationTargetRecord;
  endpoint: WebhookEndpoint;
}

/** Create, read, change and delete webhook targets. */
export interface NotificationTargetStore {
  /** Stores a target; `secret` is the generated signing secret of a generic target ("" otherwise). */
  create(input: NewNotificationTarget): Promise<{ record: NotificationTargetRecord; secret: string }>;
  /** Every target, sorted by name. */
  list(): Promise<NotificationTargetRecord[]>;
  get(id: string): Promise<NotificationTargetRecord | undefined>;
  /** undefined when there is no such target. */
  update(id: string, patch: NotificationTargetPatch): Promise<NotificationTargetRecord | undefined>;
  /** false when there was no such target. */
  delete(id: string): Promise<boolean>;
  /** Every target with its URL and secret, for the delivery loop. */
  listOpened(): Promise<OpenedTarget[]>;
}

/** Thrown by create and update when a field breaks a rule; `field` names it. */
export class NotificationTargetInputError extends Error {
  readonly code = "ERR_INVALID_NOTIFICATION_TARGET";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = "NotificationTargetInputError";
  }
}

/** Options of createNotificationTargetStore. */
export interface NotificationTargetStoreOptions {
  redis: Pick<RedisClient, "hgetall" | "hget" | "hset" | "hdel" | "del">;
  cipher: CredentialCipher;
  keys?: Pick<RedisKeys, "notifications">;
  now?: () => number;
}

interface StoredTarget extends NotificationTargetRecord {
  /** Sealed JSON `{url, secret}`. */
  sealed: string;
}

const MAX_NAME = 100;

/** A target store over one Redis client. */
export function createNotificationTargetStore(options: NotificationTargetStoreOptions): NotificationTargetStore {
  const { redis, cipher } = options;
  const keys = options.keys ?? createRedisKeys();
  const now = options.now ?? Date.now;
  const hash = keys.notifications("targets");

  async function readAll(): Promise<StoredTarget[]> {
    const fields = await redis.hgetall(hash);
    return Object.values(fields)
      .map((value) => JSON.parse(value) as StoredTarget)
      .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  }

  async function checkName(name: string, exceptId: string): Promise<string> {
    const trimmed = name.trim();
    if (trimmed === "" || trimmed.length > MAX_NAME) throw new NotificationTargetInputError("name", `name must be 1 to ${MAX_NAME} characters`);
    if ((await readAll()).some((t) => t.id !== exceptId && t.name === trimmed)) throw new NotificationTargetInputError("name", `a target named "${trimmed}" exists`);
    return trimmed;
  }

  const seal = (url: string, secret: string) => cipher.encrypt(JSON.stringify({ url, secret }));
  const open = (stored: StoredTarget): { url: string; secret: string } => JSON.parse(cipher.decrypt(stored.sealed)) as { url: string; secret: string };
  const save = (stored: StoredTarget) => redis.hset(hash, stored.id, JSON.stringify(stored));

  return {
    async create(input) {
      if (!(WEBHOOK_FORMATS as readonly string[]).includes(input.format)) throw new NotificationTargetInputError("format", "choose a format");
      const name = await checkName(input.name, "");
      const url = checkUrl(input.url);
      const secret = input.format === "generic" ? `whsec_${randomBytes(24).toString("base64url")}` : signedFormat(input.format) ? (input.secret ?? "").trim() : "";
      const nowMs = now();
      const stored: StoredTarget = {
        id: randomUUID(),
        name,
        format: input.format,
        events: [...new Set(input.events)],
        enabled: input.enabled,
        urlHint: hintOf(url),
        hasSecret: secret !== "",
        createdAtMs: nowMs,
        updatedAtMs: nowMs,
        sealed: seal(url, secret),
      };
      await save(stored);
      return { record: withoutSeal(stored), secret: input.format === "generic" ? secret : "" };
    },

    async list() {
      return (await readAll()).map(withoutSeal);
    },

    async get(id) {
      const value = await redis.hget(hash, id);
      return value ? withoutSeal(JSON.parse(value) as StoredTarget) : undefined;
    },

    async update(id, patch) {
      const value = await redis.hget(hash, id);
      if (!value) return undefined;
      const stored = JSON.parse(value) as StoredTarget;
      const opened = open(stored);
      const url = patch.url !== undefined && patch.url.trim() !== "" ? checkUrl(patch.url) : opened.url;
      const secret = patch.secret !== undefined && signedFormat(stored.format) ? patch.secret.trim() : opened.secret;
      const next: StoredTarget = {
        ...stored,
        ...(patch.name !== undefined && { name: await checkName(patch.name, id) }),
        ...(patch.events !== undefined && { events: [...new Set(patch.events)] }),
        ...(patch.enabled !== undefined && { enabled: patch.enabled }),
        urlHint: hintOf(url),
        hasSecret: secret !== "",
        updatedAtMs: now(),
        sealed: seal(url, secret),
      };
      await save(next);
      return withoutSeal(next);
    },

    async delete(id) {
      const removed = (await redis.hdel(hash, id)) === 1;
      if (removed) await redis.del(keys.notifications(`log:${id}`));
      return removed;
    },

    async listOpened() {
      return (await readAll()).map((stored) => {
        const { url, secret } = open(stored);
        return { record: withoutSeal(stored), endpoint: { format: stored.format, url, secret } };
      });
    },
  };
}

/** Feishu and DingTalk take an optional signing secret from the admin. */
function signedFormat(format: WebhookFormat): boolean {
  return format === "feishu" || format === "dingtalk";
}

function checkUrl(raw: string): string {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new NotificationTargetInputError("url", "url must be an http or https URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new NotificationTargetInputError("url", "url must be an http or https URL");
  if (url.username || url.password) throw new NotificationTargetInputError("url", "url must not carry a user or password");
  return text;
}

function hintOf(url: string): string {
  const { protocol, host } = new URL(url);
  return `${protocol}//${host}`;
}

function withoutSeal(stored: StoredTarget): NotificationTargetRecord {
  const { sealed: _sealed, ...record } = stored;
  return record;
}

/**
 * What the control plane tells webhook targets about, typed once. Events carry
 * ids, names, a platform, a reason and a time, and nothing else: never a
 * credential, an API key or a token. Reasons come from upstream answers and
 * error messages, so they pass through safeReason, which cuts them short and
 * masks anything shaped like a secret. Rendering for each chat tool is
 * webhook-formats'; queueing and delivery are notification-queue's and
 * delivery-loop's.
 */

/** Every event type, in the order the admin UI lists them. */
export const NOTIFICATION_EVENT_TYPES = [
  "account.rate_limited",
  "account.overloaded",
  "account.unauthorized",
  "account.banned",
  "account.recovered",
  "oauth.refresh_failed",
  "key.limit_reached",
  "pool.no_account",
  "replica.redis_unreachable",
] as const;

/** An event type, e.g. "account.unauthorized". */
export type NotificationEventType = (typeof NOTIFICATION_EVENT_TYPES)[number];

/** An account as events name it. */
export interface AccountRef {
  id: string;
  name: string;
  platform: string;
}

/** The account states a block event reports. */
export type BlockEventType = "account.rate_limited" | "account.overloaded" | "account.unauthorized" | "account.banned";

/** One thing that happened; `atMs` is when. */
export type NotificationEvent =
  | { type: BlockEventType; atMs: number; account: AccountRef; reason: string; /** 0 when it does not end by itself. */ untilMs: number }
  | { type: "account.recovered"; atMs: number; account: AccountRef; /** The state it left, e.g. "unauthorized". */ from: string }
  | { type: "oauth.refresh_failed"; atMs: number; account: AccountRef; reason: string }
  | { type: "key.limit_reached"; atMs: number; key: { id: string; name: string }; reason: string }
  | { type: "pool.no_account"; atMs: number; platform: string; /** The key's account group; "" for the whole pool. */ group: string; model: string }
  | { type: "replica.redis_unreachable"; atMs: number; replica: string; reason: string };

/** An event, folded with the identical ones that followed it, ready to render. */
export interface NotificationMessage {
  /** Stable across retries, so a receiver can drop a repeat. */
  id: string;
  /** The latest of the folded events. */
  event: NotificationEvent;
  /** How many events the message stands for (1 when none was folded). */
  count: number;
  firstAtMs: number;
  lastAtMs: number;
  /** Sent by SendTestNotification. */
  test?: boolean;
}

/** True for a known event type name. */
export function isNotificationEventType(value: string): value is NotificationEventType {
  return (NOTIFICATION_EVENT_TYPES as readonly string[]).includes(value);
}

/** What the event is about, as an id: events fold when their type and subject match. */
export function subjectIdOf(event: NotificationEvent): string {
  switch (event.type) {
    case "account.rate_limited":
    case "account.overloaded":
    case "account.unauthorized":
    case "account.banned":
    case "account.recovered":
    case "oauth.refresh_failed":
      return `account:${event.account.id}`;
    case "key.limit_reached":
      return `key:${event.key.id}`;
    case "pool.no_account":
      return `pool:${event.platform}:${event.group}`;
    case "replica.redis_unreachable":
      return `replica:${event.replica}`;
    default:
      return assertNever(event);
  }
}

/** What the event is about, as a person reads it. */
export function subjectNameOf(event: NotificationEvent): string {
  if ("account" in event) return event.account.name || event.account.id;
  if ("key" in event) return event.key.name || event.key.id;
  if (event.type === "pool.no_account") return event.group ? `${event.platform} / ${event.group}` : event.platform;
  return event.replica;
}

/** One line for chat tools, e.g. "Account team-1 (claude) is unauthorized: upstream answered 401 (×3)". */
export function summaryOf(message: Pick<NotificationMessage, "event" | "count" | "test">): string {
  const { event } = message;
  const times = message.count > 1 ? ` (×${message.count})` : "";
  const prefix = message.test ? "[test] " : "";
  const account = "account" in event ? `Account ${event.account.name || event.account.id} (${event.account.platform})` : "";
  let text: string;
  switch (event.type) {
    case "account.rate_limited":
      text = `${account} is rate-limited${untilText(event.untilMs)}: ${event.reason}`;
      break;
    case "account.overloaded":
      text = `${account} is overloaded${untilText(event.untilMs)}: ${event.reason}`;
      break;
    case "account.unauthorized":
      text = `${account} is unauthorized: ${event.reason}`;
      break;
    case "account.banned":
      text = `${account} is banned: ${event.reason}`;
      break;
    case "account.recovered":
      text = `${account} recovered from ${event.from.replace("_", " ")}`;
      break;
    case "oauth.refresh_failed":
      text = `${account}: OAuth refresh failed: ${event.reason}`;
      break;
    case "key.limit_reached":
      text = `API key ${event.key.name || event.key.id} reached a limit: ${event.reason}`;
      break;
    case "pool.no_account":
      text = `No ${event.platform} account could serve ${event.model || "a request"}${event.group ? ` in group ${event.group}` : ""}`;
      break;
    case "replica.redis_unreachable":
      text = `Control plane ${event.replica} cannot reach Redis: ${event.reason}`;
      break;
    default:
      return assertNever(event);
  }
  return `${prefix}${text}${times}`;
}

function untilText(untilMs: number): string {
  return untilMs > 0 ? ` until ${new Date(untilMs).toISOString()}` : "";
}

const MAX_REASON = 300;
// Shapes of secrets an upstream or a library may echo in an error: API keys, bearer tokens,
// JWTs, token fields, and any long unbroken run of key-like characters.
const SECRET_SHAPES: readonly RegExp[] = [
  /\b(?:sk|cr|crst|rk)[-_][A-Za-z0-9_-]{8,}/g,
  /\bBearer\s+[^\s"',]+/gi,
  /\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_.-]+/g,
  /\b((?:access|refresh|id)_?token|secret|password|api_?key)(["']?\s*[:=]\s*["']?)[^\s"',&]+/gi,
  /[A-Za-z0-9+/_-]{32,}={0,2}/g,
];

/** A reason fit for a webhook: at most 300 characters, secret-shaped runs masked. */
export function safeReason(reason: string): string {
  let text = reason.replace(/\s+/g, " ").trim();
  for (const shape of SECRET_SHAPES) {
    // A named field keeps its name; the other shapes have no groups, so their second argument is an offset.
    text = text.replace(shape, (_match, field: unknown, sep: unknown) =>
      typeof field === "string" && typeof sep === "string" ? `${field}${sep}[redacted]` : "[redacted]",
    );
  }
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
}

function assertNever(value: never): never {
  throw new Error(`unknown notification event ${JSON.stringify(value)}`);
}

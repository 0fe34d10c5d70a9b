/**
 * One message as each kind of target expects it: the URL to call, the headers
 * and the body. Pure: the clock comes in as an argument, so the signatures are
 * testable. The signing schemes are the receivers' own:
 * - generic: `x-claude-relay-signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, the
 *   seconds in `x-claude-relay-timestamp`, so a receiver can refuse old or replayed deliveries;
 * - Feishu / Lark custom bots: `timestamp` (seconds) and `sign` in the body, where sign is
 *   base64(HMAC-SHA256 keyed with "<timestamp>\n<secret>" over an empty message);
 * - DingTalk custom robots: `timestamp` (ms) and `sign` in the query, where sign is
 *   base64(HMAC-SHA256(secret, "<timestamp>\n<secret>")).
 * Slack, Discord and WeCom sign nothing: their URL is the credential.
 */
import { createHmac } from "node:crypto";
import { summaryOf, type NotificationMessage } from "./notification-event.js";

/** The kinds of target, as stored. */
export const WEBHOOK_FORMATS = ["generic", "slack", "discord", "feishu", "dingtalk", "wecom"] as const;

/** A kind of target. */
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** Where and how to send: the opened form of a stored target. */
export interface WebhookEndpoint {
  format: WebhookFormat;
  url: string;
  /** Signing secret; "" for none. */
  secret: string;
}

/** One HTTP POST, ready to send. */
export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The header names of the generic format. */
export const SIGNATURE_HEADER = "x-claude-relay-signature";
export const TIMESTAMP_HEADER = "x-claude-relay-timestamp";

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "user-agent": "claude-relay-notifications" } as const;
// Discord refuses content over 2000 characters; the others allow more than a summary needs.
const DISCORD_MAX_CONTENT = 2_000;

/** Renders a message for an endpoint at `nowMs`. */
export function renderWebhook(endpoint: WebhookEndpoint, message: NotificationMessage, nowMs: number): WebhookRequest {
  const summary = summaryOf(message);
  const time = new Date(message.lastAtMs).toISOString();
  const text = `[claude-relay] ${summary}\n${message.event.type} · ${time}`;
  switch (endpoint.format) {
    case "generic": {
      const body = JSON.stringify(genericBody(message, summary));
      const timestamp = String(Math.floor(nowMs / 1000));
      const headers: Record<string, string> = { ...JSON_HEADERS, "x-claude-relay-event": message.event.type, "x-claude-relay-delivery": message.id };
      if (endpoint.secret) {
        headers[TIMESTAMP_HEADER] = timestamp;
        headers[SIGNATURE_HEADER] = `sha256=${createHmac("sha256", endpoint.secret).update(`${timestamp}.${body}`).digest("hex")}`;
      }
      return { url: endpoint.url, headers, body };
    }
    case "slack":
      return json(endpoint.url, {
        text: `[claude-relay] ${summary}`,
        blocks: [
          { type: "section", text: { type: "mrkdwn", text: `*claude-relay* · ${escapeSlack(summary)}` } },
          { type: "context", elements: [{ type: "mrkdwn", text: `\`${message.event.type}\` · ${time}` }] },
        ],
      });
    case "discord":
      return json(endpoint.url, {
        content: clip(`[claude-relay] ${summary}`, DISCORD_MAX_CONTENT),
        embeds: [{ title: message.event.type, timestamp: time, ...(message.count > 1 && { footer: { text: `${message.count} events` } }) }],
      });
    case "feishu": {
      const body: Record<string, unknown> = { msg_type: "text", content: { text } };
      if (endpoint.secret) {
        const timestamp = String(Math.floor(nowMs / 1000));
        body.timestamp = timestamp;
        body.sign = createHmac("sha256", `${timestamp}\n${endpoint.secret}`).update("").digest("base64");
      }
      return json(endpoint.url, body);
    }
    case "dingtalk": {
      let url = endpoint.url;
      if (endpoint.secret) {
        const timestamp = String(nowMs);
        const sign = createHmac("sha256", endpoint.secret).update(`${timestamp}\n${endpoint.secret}`).digest("base64");
        const target = new URL(endpoint.url);
        target.searchParams.set("timestamp", timestamp);
        target.searchParams.set("sign", sign);
        url = target.toString();
      }
      return json(url, { msgtype: "text", text: { content: text } });
    }
    case "wecom":
      return json(endpoint.url, { msgtype: "text", text: { content: text } });
    default:
      throw new Error(`unknown webhook format ${String(endpoint.format satisfies never)}`);
  }
}

/** The generic format's body: the event's own fields under `data`. */
function genericBody(message: NotificationMessage, summary: string) {
  const { type, atMs: _atMs, ...data } = message.event;
  return {
    id: message.id,
    type,
    time: new Date(message.lastAtMs).toISOString(),
    count: message.count,
    first_time: new Date(message.firstAtMs).toISOString(),
    text: summary,
    test: message.test === true,
    data,
  };
}

function json(url: string, body: unknown): WebhookRequest {
  return { url, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// Slack mrkdwn treats these three as control characters (https://api.slack.com/reference/surfaces/formatting#escaping).
function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

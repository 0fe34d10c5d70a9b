import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { NotificationMessage } from "./notification-event.js";
import { renderWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER, type WebhookFormat } from "./webhook-formats.js";

const NOW = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const MESSAGE: NotificationMessage = {
  id: "group-1",
  event: { type: "account.unauthorized", atMs: NOW, account: { id: "a1", name: "team-1", platform: "claude" }, reason: "upstream answered 401", untilMs: 0 },
  count: 3,
  firstAtMs: NOW - 2_000,
  lastAtMs: NOW,
};
const SUMMARY = "Account team-1 (claude) is unauthorized: upstream answered 401 (×3)";
const TEXT = `[claude-relay] ${SUMMARY}\naccount.unauthorized · 2025-01-02T03:04:05.678Z`;

describe("renderWebhook", () => {
  it.each<[WebhookFormat, unknown]>([
    [
      "slack",
      {
        text: `[claude-relay] ${SUMMARY}`,
        blocks: [
          { type: "section", text: { type: "mrkdwn", text: `*claude-relay* · ${SUMMARY}` } },
          { type: "context", elements: [{ type: "mrkdwn", text: "`account.unauthorized` · 2025-01-02T03:04:05.678Z" }] },
        ],
      },
    ],
    ["discord", { content: `[claude-relay] ${SUMMARY}`, embeds: [{ title: "account.unauthorized", timestamp: "2025-01-02T03:04:05.678Z", footer: { text: "3 events" } }] }],
    ["feishu", { msg_type: "text", content: { text: TEXT } }],
    ["dingtalk", { msgtype: "text", text: { content: TEXT } }],
    ["wecom", { msgtype: "text", text: { content: TEXT } }],
  ])("renders the %s body", (format, body) => {
    const request = renderWebhook({ format, url: "https://hooks.example/x?token=t", secret: "" }, MESSAGE, NOW);
    expect(JSON.parse(request.body)).toEqual(body);
    expect(request.url).toBe("https://hooks.example/x?token=t");
    expect(request.headers["content-type"]).toBe("application/json; charset=utf-8");
  });

  it("renders the generic body with the event's fields under data, signed over the timestamp and the body", () => {
    const request = renderWebhook({ format: "generic", url: "http://127.0.0.1:9/hook", secret: "whsec_test" }, MESSAGE, NOW);
    expect(JSON.parse(request.body)).toEqual({
      id: "group-1",
      type: "account.unauthorized",
      time: "2025-01-02T03:04:05.678Z",
      count: 3,
      first_time: "2025-01-02T03:04:03.678Z",
      text: SUMMARY,
      test: false,
      data: { account: { id: "a1", name: "team-1", platform: "claude" }, reason: "upstream answered 401", untilMs: 0 },
    });
    const timestamp = String(Math.floor(NOW / 1000));
    expect(request.headers[TIMESTAMP_HEADER]).toBe(timestamp);
    expect(request.headers[SIGNATURE_HEADER]).toBe(`sha256=${createHmac("sha256", "whsec_test").update(`${timestamp}.${request.body}`).digest("hex")}`);
    expect(request.headers["x-claude-relay-event"]).toBe("account.unauthorized");
  });

  it("leaves a generic body unsigned without a secret", () => {
    const request = renderWebhook({ format: "generic", url: "http://127.0.0.1:9/hook", secret: "" }, MESSAGE, NOW);
    expect(request.headers[SIGNATURE_HEADER]).toBeUndefined();
  });

  it("signs a Feishu body with the timestamp in seconds and the HMAC keyed by timestamp and secret", () => {
    const body = JSON.parse(renderWebhook({ format: "feishu", url: "https://open.feishu.cn/hook/x", secret: "fs" }, MESSAGE, NOW).body);
    const timestamp = String(Math.floor(NOW / 1000));
    expect(body.timestamp).toBe(timestamp);
    expect(body.sign).toBe(createHmac("sha256", `${timestamp}\nfs`).update("").digest("base64"));
    expect(body.msg_type).toBe("text");
  });

  it("signs a DingTalk URL with timestamp (ms) and sign in the query, keeping its access token", () => {
    const request = renderWebhook({ format: "dingtalk", url: "https://oapi.dingtalk.com/robot/send?access_token=abc", secret: "SECdd" }, MESSAGE, NOW);
    const url = new URL(request.url);
    expect(url.searchParams.get("access_token")).toBe("abc");
    expect(url.searchParams.get("timestamp")).toBe(String(NOW));
    expect(url.searchParams.get("sign")).toBe(createHmac("sha256", "SECdd").update(`${NOW}\nSECdd`).digest("base64"));
  });

  it("escapes Slack's control characters and cuts Discord content at 2000 characters", () => {
    const long: NotificationMessage = { ...MESSAGE, count: 1, event: { ...MESSAGE.event, reason: `<b>&${"x".repeat(3_000)}` } as NotificationMessage["event"] };
    const slack = JSON.parse(renderWebhook({ format: "slack", url: "https://hooks.slack.com/x", secret: "" }, long, NOW).body);
    expect(slack.blocks[0].text.text).toContain("&lt;b&gt;&amp;");
    const discord = JSON.parse(renderWebhook({ format: "discord", url: "https://discord.com/api/webhooks/x", secret: "" }, long, NOW).body);
    expect(discord.content).toHaveLength(2_000);
    expect(discord.embeds[0].footer).toBeUndefined();
  });
});

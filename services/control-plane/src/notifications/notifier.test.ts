import { createLogger } from "@claude-relay/logging";
import { describe, expect, it, vi } from "vitest";
import type { DeliveryLog } from "./delivery-log.js";
import type { NotificationEvent } from "./notification-event.js";
import { createNotifier } from "./notifier.js";
import type { OpenedTarget } from "./target-store.js";
import type { WebhookRequest } from "./webhook-formats.js";

const log = createLogger({ service: "control-plane", level: "silent" });
const target = (id: string, events: OpenedTarget["record"]["events"], enabled = true): OpenedTarget => ({
  record: { id, name: id, format: "wecom", events, enabled, urlHint: "http://127.0.0.1", hasSecret: false, createdAtMs: 0, updatedAtMs: 0 },
  endpoint: { format: "wecom", url: `http://127.0.0.1/${id}`, secret: "" },
});

function build(options: { enqueue?: (event: NotificationEvent) => Promise<number> } = {}) {
  const sent: WebhookRequest[] = [];
  const logged: unknown[] = [];
  const deliveryLog: DeliveryLog = { append: async (_id, entry) => void logged.push(entry), list: async () => [] };
  const targets = [target("wants-redis", ["replica.redis_unreachable"]), target("wants-accounts", ["account.banned"]), target("off", [], false), target("all", [])];
  const notifier = createNotifier({
    queue: { enqueue: options.enqueue ?? (async () => 1) },
    targets: { listOpened: async () => targets },
    deliveryLog,
    send: async (request) => {
      sent.push(request);
      return { ok: true, statusCode: 200 };
    },
    loop: { lastTargets: () => targets },
    log,
    replica: "cp-0",
    redisGraceMs: 50,
  });
  return { notifier, sent, logged };
}

describe("createNotifier", () => {
  it("alerts the targets that want it, once, when Redis stays unreachable past the grace time", async () => {
    const { notifier, sent } = build();
    notifier.redisDown("connect ECONNREFUSED 127.0.0.1:6379");
    notifier.redisDown("connect ECONNREFUSED 127.0.0.1:6379");
    await vi.waitFor(() => expect(sent).toHaveLength(2), { timeout: 2_000 });
    expect(sent.map((r) => r.url).sort()).toEqual(["http://127.0.0.1/all", "http://127.0.0.1/wants-redis"]);
    expect(JSON.parse(sent[0]!.body).text.content).toContain("Control plane cp-0 cannot reach Redis: connect ECONNREFUSED 127.0.0.1:6379");
    notifier.redisDown("still down");
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(sent).toHaveLength(2);
  });

  it("stays quiet when Redis is back within the grace time, and alerts again on a later outage", async () => {
    const { notifier, sent } = build();
    notifier.redisDown("blip");
    notifier.redisUp();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(sent).toHaveLength(0);
    notifier.redisDown("down again");
    await vi.waitFor(() => expect(sent).toHaveLength(2), { timeout: 2_000 });
  });

  it("queues emitted events in the background and never throws when the queue fails", async () => {
    const queued: NotificationEvent[] = [];
    const { notifier } = build({
      enqueue: async (event) => {
        queued.push(event);
        throw new Error("Redis is down");
      },
    });
    const event: NotificationEvent = { type: "pool.no_account", atMs: 1, platform: "claude", group: "", model: "claude-sonnet-4-5" };
    expect(() => notifier.emit(event)).not.toThrow();
    await notifier.drain();
    expect(queued).toEqual([event]);
  });

  it("sends a test to one target and logs it as a test", async () => {
    const { notifier, sent, logged } = build();
    const entry = await notifier.sendTest("wants-accounts");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe("http://127.0.0.1/wants-accounts");
    expect(entry).toMatchObject({ test: true, delivered: true, statusCode: 200, attempts: 1 });
    expect(logged).toEqual([entry]);
    expect(await notifier.sendTest("missing")).toBeUndefined();
  });
});

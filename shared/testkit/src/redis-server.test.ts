import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { startRedis } from "./redis-server.js";

describe("startRedis", () => {
  it("starts its own server on a free port and stops it on close", async () => {
    const redis = await startRedis({ own: true });
    expect(redis.owned).toBe(true);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    await client.connect();
    expect(await client.ping()).toBe("PONG");
    client.disconnect();
    await redis.close();
    const again = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    again.on("error", () => {});
    await expect(again.connect()).rejects.toThrow();
    again.disconnect();
  });
});

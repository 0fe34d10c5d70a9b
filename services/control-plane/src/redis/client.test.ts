import { describe, expect, it } from "vitest";
import { parseRedisTarget, RedisTargetError } from "./client.js";

describe("parseRedisTarget", () => {
  it("reads a redis:// or rediss:// URL as one server", () => {
    expect(parseRedisTarget("redis://127.0.0.1:6390/2")).toEqual({ mode: "server", url: "redis://127.0.0.1:6390/2" });
    expect(parseRedisTarget("rediss://:pw@redis.internal:6380", " ")).toEqual({ mode: "server", url: "rediss://:pw@redis.internal:6380" });
  });

  it("reads a redis+cluster:// URL as one seed of a cluster, keeping credentials and TLS for every node", () => {
    expect(parseRedisTarget("redis+cluster://10.0.0.1:7000")).toEqual({ mode: "cluster", nodes: ["redis://10.0.0.1:7000"] });
    expect(parseRedisTarget("rediss+cluster://user:s3cret@10.0.0.1:7000", "10.0.0.2:7001, 10.0.0.3:7002")).toEqual({
      mode: "cluster",
      nodes: ["rediss://user:s3cret@10.0.0.1:7000", "rediss://user:s3cret@10.0.0.2:7001", "rediss://user:s3cret@10.0.0.3:7002"],
    });
  });

  it("turns a plain URL into a cluster seed when cluster nodes are listed, without repeating a node", () => {
    expect(parseRedisTarget("redis://a:7000", "a:7000,b:7001")).toEqual({ mode: "cluster", nodes: ["redis://a:7000", "redis://b:7001"] });
    expect(parseRedisTarget("redis+cluster://a", "")).toEqual({ mode: "cluster", nodes: ["redis://a:6379"] });
  });

  it("refuses a node that is not host:port and a URL that does not parse", () => {
    expect(() => parseRedisTarget("redis://a:7000", "b")).toThrow(RedisTargetError);
    expect(() => parseRedisTarget("redis://a:7000", "redis://b:7001")).toThrow(RedisTargetError);
    expect(() => parseRedisTarget("not a url")).toThrow(RedisTargetError);
  });
});

import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Secret } from "@claude-relay/config";
import { startRedis, type TestRedis } from "@claude-relay/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createRedisKeys, type RedisKeys } from "../redis/keys.js";
import { bootstrapAdmin, createAdminUsers } from "./admin-users.js";

const FAST = { logN: 10, r: 8, p: 1 };

let server: TestRedis;
let redis: Redis;
let keys: RedisKeys;
let dir: string;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { lazyConnect: true });
  await redis.connect();
});

afterAll(async () => {
  await redis?.quit();
  await server?.close();
});

beforeEach(async () => {
  // A fresh namespace per test: the server may be shared (REDIS_URL).
  keys = createRedisKeys({ prefix: `t-${randomBytes(6).toString("hex")}` });
  dir = await mkdtemp(join(tmpdir(), "admin-users-"));
  return () => rm(dir, { recursive: true, force: true });
});

function users() {
  return createAdminUsers({ redis, keys, scryptParams: FAST });
}

describe("createAdminUsers", () => {
  it("creates a user once and verifies only its password", async () => {
    const store = users();
    expect(await store.createIfAbsent("root", "first-password")).toBe(true);
    expect(await store.createIfAbsent("root", "second-password")).toBe(false);
    expect(await store.count()).toBe(1);
    expect(await store.verify("root", "first-password")).toBe(true);
    expect(await store.verify("root", "second-password")).toBe(false);
    expect(await store.verify("nobody", "first-password")).toBe(false);
  });

  it("replaces an existing user's password and refuses an unknown user", async () => {
    const store = users();
    await store.createIfAbsent("root", "first-password");
    expect(await store.setPassword("root", "second-password-long")).toBe(true);
    expect(await store.verify("root", "second-password-long")).toBe(true);
    expect(await store.verify("root", "first-password")).toBe(false);
    expect(await store.setPassword("nobody", "whatever-password")).toBe(false);
    expect(await store.count()).toBe(1);
    const raw = await redis.hget(keys.adminUsers(), "root");
    expect(raw).not.toContain("second-password-long");
  });

  it("stores a scrypt hash, never the password", async () => {
    await users().createIfAbsent("root", "plaintext-never-stored");
    const raw = await redis.hget(keys.adminUsers(), "root");
    expect(raw).toContain("scrypt$");
    expect(raw).not.toContain("plaintext-never-stored");
  });
});

describe("bootstrapAdmin", () => {
  it("generates a password, prints it once and writes it to a 0600 file", async () => {
    const lines: string[] = [];
    const store = users();
    const result = await bootstrapAdmin({ users: store, username: "admin", dataDir: join(dir, "data"), print: (l) => lines.push(l) });
    const file = join(dir, "data", "admin-password");
    expect(result).toEqual({ created: true, generated: true, passwordFile: file });
    const password = (await readFile(file, "utf8")).trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(lines).toEqual([`admin password (shown once, also written to ${file}): ${password}`]);
    expect(await store.verify("admin", password)).toBe(true);

    const again = await bootstrapAdmin({ users: store, username: "admin", dataDir: join(dir, "data"), print: (l) => lines.push(l) });
    expect(again).toEqual({ created: false, generated: false });
    expect(lines).toHaveLength(1);
    expect((await readFile(file, "utf8")).trim()).toBe(password);
  });

  it("uses a given password without printing it or writing any file", async () => {
    const lines: string[] = [];
    const store = users();
    const result = await bootstrapAdmin({
      users: store,
      username: "admin",
      password: new Secret("given-admin-password"),
      dataDir: join(dir, "data"),
      print: (l) => lines.push(l),
    });
    expect(result).toEqual({ created: true, generated: false });
    expect(lines).toEqual([]);
    await expect(stat(join(dir, "data", "admin-password"))).rejects.toMatchObject({ code: "ENOENT" });
    expect(await store.verify("admin", "given-admin-password")).toBe(true);
  });

  it("keeps an existing admin's password when restarted with a different ADMIN_PASSWORD", async () => {
    const store = users();
    await bootstrapAdmin({ users: store, username: "admin", password: new Secret("first"), dataDir: dir, print: () => {} });
    const result = await bootstrapAdmin({ users: store, username: "admin", password: new Secret("second"), dataDir: dir, print: () => {} });
    expect(result.created).toBe(false);
    expect(await store.verify("admin", "first")).toBe(true);
    expect(await store.verify("admin", "second")).toBe(false);
  });

  it("creates exactly one admin when two replicas bootstrap at the same time", async () => {
    const lines: string[] = [];
    const [a, b] = await Promise.all(
      ["replica-a", "replica-b"].map((name) =>
        bootstrapAdmin({ users: users(), username: "admin", dataDir: join(dir, name), print: (l) => lines.push(l) }),
      ),
    );
    expect([a?.created, b?.created].sort()).toEqual([false, true]);
    expect(lines).toHaveLength(1);
    expect(await users().count()).toBe(1);
    const winner = a?.created ? "replica-a" : "replica-b";
    const password = (await readFile(join(dir, winner, "admin-password"), "utf8")).trim();
    expect(lines[0]).toContain(password);
    expect(await users().verify("admin", password)).toBe(true);
  });
});

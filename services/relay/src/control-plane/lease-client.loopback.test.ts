import { status } from "@grpc/grpc-js";
import { OutcomeKind, RefusalReason } from "@claude-relay/proto/lease";
import { freePort } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type FakeLeaseServer, startFakeLeaseServer } from "./fake-lease-server.test-helper.js";
import { ControlPlaneError, createLeaseClient, type LeaseClient } from "./lease-client.js";

const TOKEN = "lease-client-test-token-000";
const acquireInit = { keyHash: "ab".repeat(32), model: "claude-x", requestId: "req_1" };

let fake: FakeLeaseServer;
let client: LeaseClient;

beforeAll(async () => {
  fake = await startFakeLeaseServer({ accounts: [{ id: "acct-1", baseUrl: "https://api.example" }], token: TOKEN, ttlMs: 9_000 });
  client = createLeaseClient({ target: fake.target, token: TOKEN, deadlineMs: 1_000 });
});

afterAll(async () => {
  await client?.close();
  await fake?.close();
});

describe("createLeaseClient", () => {
  it("acquires a lease over a real channel, sending the internal token", async () => {
    const result = await client.acquire({ ...acquireInit, sessionHash: "s1", excludeAccounts: ["acct-0"], userAgent: "ua" });
    expect(result.kind).toBe("lease");
    if (result.kind !== "lease") return;
    expect(result.lease.ttlMs).toBe(9_000);
    expect(result.lease.account?.id).toBe("acct-1");
    expect(fake.acquires.at(-1)).toMatchObject({ keyHash: acquireInit.keyHash, model: "claude-x", sessionHash: "s1", excludeAccounts: ["acct-0"], userAgent: "ua" });
    expect(fake.tokens.at(-1)).toBe(TOKEN);
    expect(client.isReady()).toBe(true);
  });

  it("returns a refusal as a value", async () => {
    fake.enqueueAcquire({ refusal: { reason: RefusalReason.KEY_LIMIT, message: "slow down", retryAfterMs: 1_500 } });
    const result = await client.acquire(acquireInit);
    expect(result).toMatchObject({ kind: "refusal", refusal: { reason: RefusalReason.KEY_LIMIT, message: "slow down", retryAfterMs: 1_500 } });
  });

  it("returns a call past its deadline as an unavailable control plane", async () => {
    fake.enqueueAcquire({ lease: {}, delayMs: 4_000 });
    const started = Date.now();
    const result = await client.acquire(acquireInit);
    expect(result.kind).toBe("error");
    if (result.kind !== "error") return;
    expect(result.error).toBeInstanceOf(ControlPlaneError);
    expect(result.error.code).toBe("ERR_CONTROL_PLANE_UNAVAILABLE");
    expect(result.error.grpcCode).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(3_500);
  });

  it("tells an unavailable control plane from a rejected call", async () => {
    fake.enqueueAcquire({ error: status.INVALID_ARGUMENT });
    const result = await client.acquire(acquireInit);
    expect(result.kind === "error" && result.error.code).toBe("ERR_CONTROL_PLANE_CALL");
  });

  it("renews, and rejects a renewal of an unknown lease with NOT_FOUND", async () => {
    expect(await client.renew("lease-1")).toBe(9_000);
    fake.failRenewWith(status.NOT_FOUND);
    try {
      await expect(client.renew("lease-x")).rejects.toMatchObject({ grpcCode: status.NOT_FOUND });
    } finally {
      fake.failRenewWith(undefined);
    }
  });

  it("waits for releases in flight when it closes", async () => {
    const own = createLeaseClient({ target: fake.target, token: TOKEN, deadlineMs: 2_000 });
    fake.delayReleases(300);
    try {
      const before = fake.releases.length;
      void own.release({ leaseId: "lease-late", outcome: { kind: OutcomeKind.SUCCESS, status: 200 } }).catch(() => {});
      await own.close();
      expect(fake.releases.length).toBe(before + 1);
      expect(fake.releases.at(-1)?.leaseId).toBe("lease-late");
    } finally {
      fake.delayReleases(0);
    }
  });

  it("is refused with a wrong token, as an unavailable control plane", async () => {
    const wrong = createLeaseClient({ target: fake.target, token: "not-the-token-at-all", deadlineMs: 1_000 });
    try {
      const result = await wrong.acquire(acquireInit);
      expect(result.kind === "error" && result.error.grpcCode).toBe(status.UNAUTHENTICATED);
      expect(result.kind === "error" && result.error.code).toBe("ERR_CONTROL_PLANE_UNAVAILABLE");
    } finally {
      await wrong.close();
    }
  });

  it("fails fast and reports not ready when nothing listens", async () => {
    const port = await freePort();
    const down = createLeaseClient({ target: `dns:///127.0.0.1:${port}`, token: TOKEN, deadlineMs: 3_000 });
    try {
      const started = Date.now();
      const result = await down.acquire(acquireInit);
      expect(result.kind === "error" && result.error.grpcCode).toBe(status.UNAVAILABLE);
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(down.isReady()).toBe(false);
    } finally {
      await down.close();
    }
  });

  it("sends an Acquire refused as unavailable (a draining replica) once more", async () => {
    fake.enqueueAcquire({ error: status.UNAVAILABLE, details: "control plane is draining" });
    const before = fake.acquires.length;
    const result = await client.acquire(acquireInit);
    expect(result.kind).toBe("lease");
    expect(fake.acquires.length - before).toBe(2);
  });

  it("sends calls once more on a new stream when the control plane ends its stream cleanly", async () => {
    const own = createLeaseClient({ target: fake.target, token: TOKEN, deadlineMs: 2_000, streams: 1 });
    try {
      expect((await own.acquire(acquireInit)).kind).toBe("lease");
      fake.ignoreExchangeCalls(true);
      const before = fake.acquires.length;
      const pending = own.acquire(acquireInit);
      await new Promise((resolve) => setTimeout(resolve, 50));
      fake.ignoreExchangeCalls(false);
      fake.endExchanges();
      const result = await pending;
      expect(result.kind).toBe("lease");
      expect(fake.acquires.length - before).toBe(1);
    } finally {
      fake.ignoreExchangeCalls(false);
      await own.close();
    }
  });

  it("does not send an Acquire again when its stream broke, since it may have run", async () => {
    const own = createLeaseClient({ target: fake.target, token: TOKEN, deadlineMs: 2_000, streams: 1 });
    try {
      expect((await own.acquire(acquireInit)).kind).toBe("lease");
      fake.ignoreExchangeCalls(true);
      const pending = own.acquire(acquireInit);
      await new Promise((resolve) => setTimeout(resolve, 50));
      // A reset connection may end a stream as INTERNAL: still the transport, so still a 503.
      fake.breakExchanges(status.INTERNAL);
      const result = await pending;
      expect(result.kind === "error" && result.error.grpcCode).toBe(status.UNAVAILABLE);
      expect(result.kind === "error" && result.error.code).toBe("ERR_CONTROL_PLANE_UNAVAILABLE");
      fake.ignoreExchangeCalls(false);
      // The next call opens a new stream.
      expect((await own.acquire(acquireInit)).kind).toBe("lease");
    } finally {
      fake.ignoreExchangeCalls(false);
      await own.close();
    }
  });

  it("releases a lease granted after the caller stopped waiting", async () => {
    const late: string[] = [];
    const own = createLeaseClient({ target: fake.target, token: TOKEN, deadlineMs: 200, onLateLease: (id) => late.push(id) });
    try {
      fake.enqueueAcquire({ lease: {}, delayMs: 400 });
      const result = await own.acquire(acquireInit);
      expect(result.kind === "error" && result.error.grpcCode).toBe(status.DEADLINE_EXCEEDED);
      const released = await fake.waitForReleases(fake.releases.length + 1, 2_000);
      expect(late).toHaveLength(1);
      expect(released.at(-1)).toMatchObject({ leaseId: late[0], outcome: { kind: OutcomeKind.CLIENT_ABORTED } });
    } finally {
      await own.close();
    }
  });

  it("spreads calls over its streams and replaces a stream past its age", async () => {
    const own = createLeaseClient({ target: fake.target, token: TOKEN, deadlineMs: 2_000, streams: 2, streamMaxAgeMs: 300 });
    try {
      const opened = fake.exchangeCount();
      for (let i = 0; i < 4; i++) expect((await own.acquire(acquireInit)).kind).toBe("lease");
      expect(fake.exchangeCount() - opened).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect((await own.acquire(acquireInit)).kind).toBe("lease");
      expect(fake.exchangeCount() - opened).toBe(3);
    } finally {
      await own.close();
    }
  });

  it("checks a key on its streams, accepted or refused as a value", async () => {
    const own = createLeaseClient({ target: fake.target, token: TOKEN, deadlineMs: 1_000, streams: 1 });
    try {
      fake.answerCheckKey((keyHash) => (keyHash === "aa".repeat(32) ? { accepted: "key-7" } : { refused: "invalid x-api-key" }));
      expect(await own.checkKey("aa".repeat(32))).toEqual({ kind: "accepted", keyId: "key-7" });
      expect(await own.checkKey("bb".repeat(32))).toMatchObject({ kind: "refused", refusal: { reason: RefusalReason.KEY_INVALID, message: "invalid x-api-key" } });
    } finally {
      fake.answerCheckKey(undefined);
      await own.close();
    }
  });

  it("stops asking a stream whose control plane does not know CheckKey, and still acquires on it", async () => {
    const own = createLeaseClient({ target: fake.target, token: TOKEN, deadlineMs: 1_000, streams: 1 });
    try {
      const asked = fake.keyChecks.length;
      for (let i = 0; i < 5; i++) expect(await own.checkKey("cc".repeat(32))).toMatchObject({ kind: "unchecked", reason: "unsupported" });
      expect(fake.keyChecks.length - asked).toBe(1);
      expect((await own.acquire(acquireInit)).kind).toBe("lease");
    } finally {
      await own.close();
    }
  });

  it("answers unchecked when the control plane cannot be reached", async () => {
    const own = createLeaseClient({ target: `127.0.0.1:${await freePort()}`, token: TOKEN, deadlineMs: 1_000 });
    try {
      expect(await own.checkKey("dd".repeat(32))).toMatchObject({ kind: "unchecked", reason: "error" });
    } finally {
      await own.close();
    }
  });

  it("tells its listeners when a control plane says keys changed", async () => {
    const own = createLeaseClient({ target: fake.target, token: TOKEN, deadlineMs: 1_000, streams: 1 });
    let told = 0;
    const stop = own.onKeysChanged(() => told++);
    try {
      expect((await own.acquire(acquireInit)).kind).toBe("lease");
      fake.sendKeysChanged();
      await vi.waitFor(() => expect(told).toBeGreaterThan(0));
      stop();
      const before = told;
      fake.sendKeysChanged();
      expect((await own.acquire(acquireInit)).kind).toBe("lease");
      expect(told).toBe(before);
    } finally {
      await own.close();
    }
  });
});

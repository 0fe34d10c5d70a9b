/**
 * Acquire with a wait for a slot. When every account that could serve a
 * request is at its concurrency limit, the request waits in its group's line
 * (wait-queue.ts), up to the smaller of the key's bound (or the default) and
 * what the caller will wait (AcquireInput.maxWaitMs), instead of being refused.
 *
 * Fairness: while a line holds anyone, a new request of that group joins its
 * end instead of taking a slot, and only the first in turn tries to take one;
 * once it has, the next is first. Every control plane renews its own waiters
 * and reads their places every `pollMs`, and at once after one of its own
 * releases, so a freed slot goes to the first in turn within about one poll,
 * on whichever replica it waits. A waiter whose replica dies is dropped after
 * `aliveMs`; one whose caller comes back through another replica (the same
 * request id) keeps its place.
 *
 * Nothing here touches renewals or releases: they never wait behind waiters.
 * A caller that stops waiting (the signal) leaves the line at once and holds
 * nothing; a signal aborted with HAND_BACK (the replica is draining) keeps the
 * waiter's place for the retry on another replica.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "@claude-relay/logging";
import type { AccountType } from "../providers/account-types.js";
import { keyBinding } from "../keys/key-policy.js";
import type { AcquireInput, AcquireResult, LeaseCatalog } from "./acquire-lease.js";
import { refuse, type Refusal } from "./refusal.js";
import type { WaitQueue } from "./wait-queue.js";
import { waitGroupOf, type WaitGroup } from "./wait-group.js";

/** The abort reason of a waiter handed back to its caller to retry elsewhere: it keeps its place. */
export const HAND_BACK = "hand-back";

/** Thrown for a waiter handed back (its replica is closing): the caller tries another replica, where it keeps its place. */
export class HandBackError extends Error {
  readonly code = "ERR_HANDED_BACK";
  constructor() {
    super("the control plane is closing; the waiter keeps its place for another replica");
    this.name = "HandBackError";
  }
}

/** What the queue reports, for metrics. */
export interface QueueObserver {
  /** This replica's waiters in a group changed. */
  waiting(group: WaitGroup, count: number): void;
  /** A wait ended: served (with the account), timed out, refused or given up. */
  waited(ms: number, ended: { keyId: string; accountId: string | undefined; outcome: "served" | "timeout" | "refused" | "cancelled" }): void;
}

/** Dependencies of createQueuedAcquire. */
export interface QueuedAcquireDeps {
  acquire(input: AcquireInput): Promise<AcquireResult>;
  catalog: Pick<LeaseCatalog, "findKeyByHash">;
  queue: WaitQueue;
  /** The wait bound of a key that sets none, ms; 0 refuses at once. */
  defaultWaitMs: number;
  /** The most waiters one line holds; a request over it is refused at once. */
  maxWaiters: number;
  /** How often this replica renews its waiters and reads their places. */
  pollMs: number;
  observer?: QueueObserver;
  log: Logger;
  now?: () => number;
}

/** Acquire with waiting, and the hook a release calls. */
export interface QueuedAcquire {
  acquire(input: AcquireInput): Promise<AcquireResult>;
  /** A slot was freed on this replica: the first in turn looks now instead of at the next poll. */
  slotFreed(): void;
  /** Waiters on this replica now. */
  readonly waiting: number;
  /** Stops polling and hands every waiter back (HandBackError), keeping its place; later calls do not wait. */
  close(): void;
}

/** Why a waiter was woken. */
type Wake = "turn" | "lost" | "poll";

interface LocalWaiter {
  id: string;
  wake(reason: Wake): void;
}

/** Builds Acquire with a wait. */
export function createQueuedAcquire(deps: QueuedAcquireDeps): QueuedAcquire {
  const { queue, observer, log } = deps;
  const now = deps.now ?? Date.now;
  /** This replica's waiters, by group id. */
  const lines = new Map<string, { group: WaitGroup; waiters: Map<string, LocalWaiter> }>();
  let timer: NodeJS.Timeout | undefined;
  let soon = false;
  let polling: Promise<void> | undefined;
  let closed = false;
  let count = 0;

  function schedule(): void {
    if (closed || timer || lines.size === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      void poll();
    }, deps.pollMs);
  }

  /** Renews every local waiter and wakes the first in turn of each line (and those dropped, to join again). */
  function poll(): Promise<void> {
    if (polling) {
      soon = true;
      return polling;
    }
    polling = (async () => {
      do {
        soon = false;
        await Promise.all(
          [...lines.values()].map(async ({ group, waiters }) => {
            const ids = [...waiters.keys()];
            if (ids.length === 0) return;
            try {
              const { places } = await queue.renew(group.id, ids);
              ids.forEach((id, i) => {
                const place = places[i] ?? -1;
                waiters.get(id)?.wake(place === 0 ? "turn" : place < 0 ? "lost" : "poll");
              });
            } catch (err) {
              log.warn({ err, group: group.name }, "wait queue renewal failed");
            }
          }),
        );
      } while (soon);
    })().finally(() => {
      polling = undefined;
      schedule();
    });
    return polling;
  }

  function enter(group: WaitGroup, waiter: LocalWaiter): () => void {
    let line = lines.get(group.id);
    if (!line) lines.set(group.id, (line = { group, waiters: new Map() }));
    line.waiters.set(waiter.id, waiter);
    count++;
    observer?.waiting(group, line.waiters.size);
    schedule();
    return () => {
      const current = lines.get(group.id);
      if (!current?.waiters.delete(waiter.id)) return;
      count--;
      observer?.waiting(group, current.waiters.size);
      if (current.waiters.size === 0) lines.delete(group.id);
    };
  }

  /** The next wake-up of a waiter, its deadline or its signal, whichever comes first. */
  function nextWake(waiter: { pending?: (reason: Wake | "deadline" | "aborted") => void }, deadlineMs: number, signal: AbortSignal | undefined) {
    return new Promise<Wake | "deadline" | "aborted">((resolve) => {
      if (signal?.aborted) return resolve("aborted");
      const done = (reason: Wake | "deadline" | "aborted") => {
        clearTimeout(deadline);
        signal?.removeEventListener("abort", onAbort);
        waiter.pending = undefined;
        resolve(reason);
      };
      const onAbort = () => done("aborted");
      const deadline = setTimeout(() => done("deadline"), Math.max(0, deadlineMs - now()));
      signal?.addEventListener("abort", onAbort, { once: true });
      waiter.pending = done;
    });
  }

  async function waitInLine(input: AcquireInput, waiterId: string, group: WaitGroup, keyId: string, boundMs: number, first: Refusal | undefined): Promise<AcquireResult> {
    const joined = await queue.join(group.id, waiterId, { busyOnly: false, maxWaiters: deps.maxWaiters });
    if (joined.kind !== "joined") return refuse("NO_ACCOUNT", "no account available, and too many requests are waiting for one", first?.retryAfterMs || deps.pollMs * 20);
    void queue.describe(group).catch(() => {});
    input.onQueued?.(joined.place, boundMs);
    const startedAtMs = Math.min(joined.joinedAtMs, now());
    const deadlineMs = now() + boundMs;
    const state: { pending?: (reason: Wake | "deadline" | "aborted") => void } = {};
    const leaveRoom = enter(group, { id: waiterId, wake: (reason) => state.pending?.(reason) });
    let last = first;
    let ended: "served" | "timeout" | "refused" | "cancelled" = "timeout";
    let servedBy: string | undefined;
    let keepPlace = false;
    try {
      let reason: Wake | "deadline" | "aborted" = joined.place === 0 ? "turn" : "poll";
      for (;;) {
        if (reason === "aborted" || closed) {
          ended = "cancelled";
          if (closed || input.signal?.reason === HAND_BACK) {
            keepPlace = true;
            throw new HandBackError();
          }
          return refuse("NO_ACCOUNT", "the request stopped waiting for an account", 0);
        }
        if (reason === "deadline") return refuse("NO_ACCOUNT", "no account became available in time", last?.retryAfterMs || deps.pollMs * 20);
        if (reason === "lost") {
          // Dropped while this replica could not renew it (a stall): it joins again, at the end.
          const again = await queue.join(group.id, waiterId, { busyOnly: false, maxWaiters: deps.maxWaiters });
          reason = again.kind === "joined" && again.place === 0 ? "turn" : "poll";
          if (again.kind === "joined") continue;
          return refuse("NO_ACCOUNT", "no account available, and too many requests are waiting for one", last?.retryAfterMs || deps.pollMs * 20);
        }
        if (reason === "turn") {
          const result = await deps.acquire(input);
          if (result.ok) {
            ended = "served";
            servedBy = result.account.id;
            return result;
          }
          if (!result.full) {
            ended = "refused";
            return result;
          }
          last = result;
        }
        reason = await nextWake(state, deadlineMs, input.signal);
      }
    } finally {
      leaveRoom();
      const waitedMs = now() - startedAtMs;
      if (!keepPlace) {
        // Leaving is what lets the next in turn go: it is sent before the answer, then the line is read again.
        await queue.leave(group.id, waiterId).catch((err: unknown) => log.warn({ err, group: group.name }, "leaving the wait queue failed"));
        if (ended === "served") void poll();
        void queue.recordWait(waitedMs, keyId, servedBy).catch(() => {});
        observer?.waited(waitedMs, { keyId, accountId: servedBy, outcome: ended });
      }
    }
  }

  return {
    get waiting() {
      return count;
    },

    async acquire(input) {
      const maxWaitMs = input.maxWaitMs ?? 0;
      if (maxWaitMs <= 0 || closed) return deps.acquire(input);
      const key = await deps.catalog.findKeyByHash(input.keyHash);
      const boundMs = Math.min(maxWaitMs, key?.queueWaitMs ?? deps.defaultWaitMs);
      if (!key || boundMs <= 0) return deps.acquire(input);
      const platform = input.platform ?? "claude";
      const group = waitGroupOf(platform, keyBinding(key, platform), (input.accountTypes ?? []) as AccountType[]);
      const waiterId = input.requestId || randomUUID();
      // Behind anyone already waiting: no slot is taken ahead of them. A request that comes back (the same
      // id, through another replica) finds its place kept.
      const busy = await queue.join(group.id, waiterId, { busyOnly: true, maxWaiters: deps.maxWaiters });
      if (busy.kind === "empty") {
        const result = await deps.acquire(input);
        if (result.ok || !result.full) return result;
        return waitInLine(input, waiterId, group, key.id, boundMs, result);
      }
      return waitInLine(input, waiterId, group, key.id, boundMs, undefined);
    },

    slotFreed() {
      if (lines.size > 0) void poll();
    },

    close() {
      closed = true;
      clearTimeout(timer);
      timer = undefined;
      for (const { waiters } of lines.values()) for (const waiter of waiters.values()) waiter.wake("poll");
    },
  };
}

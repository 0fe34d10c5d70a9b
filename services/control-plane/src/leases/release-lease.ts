/**
 * Release: frees a lease on both owners and counts its usage, in one round
 * trip. A lease that already expired is still counted (its tokens were spent)
 * and is not an error. The outcome updates the account's health in the same
 * pipeline, and is logged, at info only when something went wrong. Usage is
 * also counted per platform: the lease id names the account, and the
 * account's type (from the per-replica catalog, so no Redis read once warm)
 * names its platform. It is counted per front door too, when the relay names
 * one this version knows (usage/front-doors.ts). A successful answer that
 * opened sessions a later request may continue (an OpenAI response id, named
 * again as previous_response_id) binds each of their hashes to the lease's
 * account as a sticky session, in the same pipeline.
 */
import type { Logger } from "@claude-relay/logging";
import { AccountSignal, OutcomeKind } from "@claude-relay/proto/lease";
import type { AccountRecord } from "../accounts/account-store.js";
import type { HealthStore } from "../accounts/health-store.js";
import { isAccountType, platformOf, type PlatformName } from "../providers/account-types.js";
import type { SessionStore } from "../sessions/session-store.js";
import type { StickyStore } from "../sessions/sticky-store.js";
import type { FrontDoorName } from "../usage/front-doors.js";
import type { UsageRecorder } from "../usage/usage-recorder.js";
import type { LeaseCatalog } from "./acquire-lease.js";
import { parseLeaseId } from "./lease-id.js";
import type { LeaseStore, LeaseUsage } from "./lease-store.js";

/** One Release call. */
export interface ReleaseInput {
  leaseId: string;
  outcome: OutcomeKind;
  /** Upstream HTTP status; 0 when there was no response. */
  status: number;
  /** Secret-free description of a failure. */
  detail: string;
  /** What the provider read in the answer about the account; UNSPECIFIED or absent: health reads the status. */
  signal?: AccountSignal;
  usage: LeaseUsage;
  model: string;
  latencyMs: number;
  ttfbMs: number;
  /** The session the request belonged to; "" or absent for none. */
  sessionHash?: string;
  /** Lower-case `anthropic-ratelimit-*` and `retry-after` response headers, for the account's health and windows. */
  headers?: Readonly<Record<string, string>>;
  /** The front door the request came in on; absent when the relay named none this version knows. */
  frontDoor?: FrontDoorName;
  /** Hashes of sessions the answer opened that must stay on this lease's account; bound only after a success. */
  continuationHashes?: readonly string[];
}

/** Dependencies of createReleaseLease; without `usage` and `sessions` only the slots are freed. */
export interface ReleaseLeaseDeps {
  leases: LeaseStore;
  log: Logger;
  usage?: UsageRecorder;
  sessions?: Pick<SessionStore, "releaseCommands">;
  /** Sticky bindings, for the continuation hashes of a successful answer; without it they are not bound. */
  sticky?: Pick<StickyStore, "bind">;
  /** Account health from the outcome; without it the outcome is only logged. */
  health?: Pick<HealthStore, "recordOutcome">;
  /** True when this replica last read the account as healthy with no probe in flight (lets a plain success skip its health write). */
  lastReadHealthy?: (accountId: string) => boolean;
  /** The accounts, for the platform of the lease's account (the hot path's cached catalog); without it usage is not counted per platform. */
  catalog?: Pick<LeaseCatalog, "listAccounts">;
  now?: () => number;
}

/** What Release found. */
export interface ReleaseResult {
  /** False when the lease had expired or was released before. */
  held: boolean;
  /** The platform of the lease's account; undefined when it is not known (no catalog, or the account is gone). */
  platform?: PlatformName;
}

/** Builds Release; a malformed lease id throws LeaseIdError. */
export function createReleaseLease(deps: ReleaseLeaseDeps): (input: ReleaseInput) => Promise<ReleaseResult> {
  const { leases, log } = deps;
  const now = deps.now ?? Date.now;
  const platformOfAccount = deps.catalog ? createPlatformLookup(deps.catalog) : async () => undefined;
  return async function releaseLease(input) {
    const { leaseId, accountId, keyId } = parseLeaseId(input.leaseId);
    // Read before any write is issued, so the writes still leave together; a warm catalog answers without Redis.
    const platform = await platformOfAccount(accountId).catch((err: unknown) => {
      log.warn({ err, accountId }, "account platform unknown: usage not counted per platform");
      return undefined;
    });
    const nowMs = now();
    // Issued in the same tick as the release's own commands, so it rides in their pipeline.
    const outcome = { kind: input.outcome, status: input.status, headers: input.headers ?? {}, detail: input.detail, signal: input.signal ?? AccountSignal.UNSPECIFIED };
    const healthWrite = deps.health?.recordOutcome(accountId, leaseId, outcome, deps.lastReadHealthy?.(accountId));
    healthWrite?.catch(() => {}); // awaited below; this only keeps an early rejection from counting as unhandled
    const held = await leases.release(
      leaseId,
      [
        { kind: "account", id: accountId },
        { kind: "key", id: keyId },
      ],
      () => usageCommands(deps, { leaseId, accountId, keyId, nowMs, platform }, input),
    );
    const health = await healthWrite;
    const fields = {
      leaseId,
      accountId,
      keyId,
      ...(platform !== undefined && { platform }),
      outcome: OutcomeKind[input.outcome] ?? String(input.outcome),
      status: input.status,
      held,
      latencyMs: input.latencyMs,
      ...(health !== undefined && health !== "healthy" && { health }),
    };
    if (input.outcome === OutcomeKind.SUCCESS || input.outcome === OutcomeKind.CLIENT_ABORTED) log.debug(fields, "lease released");
    else log.info({ ...fields, detail: input.detail.slice(0, 200) }, "lease released after a failure");
    return { held, ...(platform !== undefined && { platform }) };
  };
}

/**
 * The platform of an account by id, from the catalog's account list: the list is indexed once per list
 * the catalog hands out (a cached one is the same array until it is dropped), so a lookup is a map read.
 */
function createPlatformLookup(catalog: Pick<LeaseCatalog, "listAccounts">): (accountId: string) => Promise<PlatformName | undefined> {
  const indexes = new WeakMap<readonly AccountRecord[], Map<string, PlatformName>>();
  return async (accountId) => {
    const accounts = await catalog.listAccounts();
    let index = indexes.get(accounts);
    if (index === undefined) {
      index = new Map(accounts.flatMap((a) => (isAccountType(a.type) ? [[a.id, platformOf(a.type)] as const] : [])));
      indexes.set(accounts, index);
    }
    return index.get(accountId);
  };
}

/** Upstream failures, as a session's error count sees them; a client that hung up is not one. */
const FAILED_OUTCOMES: ReadonlySet<OutcomeKind> = new Set([OutcomeKind.UPSTREAM_ERROR, OutcomeKind.CONNECTION_FAILURE, OutcomeKind.STREAM_INTERRUPTED]);

/**
 * The usage and session writes of one release, issued in the release's tick.
 * Tokens are counted whatever the outcome: an early-ended stream reports the
 * usage seen until then. Continuations are bound only after a success: a
 * failed answer opened nothing a client can continue.
 */
function usageCommands(
  deps: ReleaseLeaseDeps,
  { platform, ...lease }: { leaseId: string; accountId: string; keyId: string; nowMs: number; platform: PlatformName | undefined },
  input: ReleaseInput,
): Promise<unknown>[] {
  const { frontDoor } = input;
  const event = { ...lease, model: input.model, tokens: input.usage, ...(platform !== undefined && { platform }), ...(frontDoor !== undefined && { frontDoor }) };
  const writes = deps.usage?.usageCommands(event) ?? [];
  if (deps.sessions && input.sessionHash) {
    const failed = FAILED_OUTCOMES.has(input.outcome);
    writes.push(...deps.sessions.releaseCommands({ ...lease, sessionHash: input.sessionHash, failed, status: input.status }));
  }
  if (deps.sticky && input.outcome === OutcomeKind.SUCCESS) {
    // bind() issues its SET before its first await, so each joins this tick's pipeline.
    for (const hash of new Set(input.continuationHashes ?? [])) if (hash !== "") writes.push(deps.sticky.bind(hash, lease.accountId));
  }
  return writes;
}

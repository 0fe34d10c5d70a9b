/**
 * Per-account gauges, read on scrape: slots in use against each account's
 * limit, and its health state. A scrape reads the cached account list (no
 * Redis once warm) and issues, in one tick, a ZCOUNT of live leases (score >
 * now, so expired leases of a crashed relay do not count) and the health hash
 * of every account, which auto-pipelining sends as one batch. The three gauges
 * share that one read. Labels stay closed: account ids are bounded by the pool,
 * states by HEALTH_STATES, platforms by the platform names ("unknown" for a type
 * this version does not know). When Redis cannot answer, the gauges are left
 * empty rather than failing the whole scrape.
 */
import type { Logger } from "@claude-relay/logging";
import { Gauge, type Registry } from "@claude-relay/metrics";
import { viewHealth, type HealthView } from "../accounts/account-health.js";
import type { AccountRecord } from "../accounts/account-store.js";
import type { HealthStore } from "../accounts/health-store.js";
import type { LeaseStore } from "../leases/lease-store.js";
import { isAccountType, platformOf } from "../providers/account-types.js";

/** Every health state the health gauge reports, one series per account and state. */
export const HEALTH_STATES: readonly HealthView[] = ["healthy", "half_open", "rate_limited", "overloaded", "unauthorized", "banned", "circuit_open"];

/** What the account gauges read. */
export interface AccountMetricsDeps {
  registry: Registry;
  /** The account list; the hot path's cached catalog. */
  listAccounts(): Promise<AccountRecord[]>;
  leases: Pick<LeaseStore, "activeCounts">;
  health: Pick<HealthStore, "conditions">;
  log?: Logger;
  now?: () => number;
}

/** One scrape's reading. */
interface Snapshot {
  accounts: AccountRecord[];
  active: Map<string, number>;
  states: Map<string, HealthView>;
}

/** Reads shared by the gauges of one scrape; a later scrape reads again. */
const SNAPSHOT_REUSE_MS = 1_000;

/** Registers the account gauges on the registry; they read Redis only when scraped. */
export function createAccountMetrics(deps: AccountMetricsDeps): void {
  const now = deps.now ?? Date.now;
  let last: { atMs: number; snapshot: Promise<Snapshot | undefined> } | undefined;

  async function read(): Promise<Snapshot | undefined> {
    try {
      const accounts = await deps.listAccounts();
      const ids = accounts.map((a) => a.id);
      const [active, conditions] = await Promise.all([deps.leases.activeCounts(ids), deps.health.conditions(ids)]);
      const nowMs = now();
      const states = new Map<string, HealthView>();
      for (const [id, condition] of conditions) states.set(id, viewHealth(condition.health, nowMs));
      return { accounts, active, states };
    } catch (err) {
      deps.log?.warn({ err: { message: (err as Error).message } }, "account metrics unavailable");
      return undefined;
    }
  }

  /** The scrape's snapshot: the first gauge collected starts the read, the others share it. */
  function snapshot(): Promise<Snapshot | undefined> {
    const nowMs = now();
    if (!last || nowMs - last.atMs >= SNAPSHOT_REUSE_MS) last = { atMs: nowMs, snapshot: read() };
    return last.snapshot;
  }

  const registers = [deps.registry];
  /** An account's labels: its id and its platform. */
  const labelsOf = (a: AccountRecord) => ({ account: a.id, platform: isAccountType(a.type) ? platformOf(a.type) : "unknown" });
  new Gauge({
    name: "control_plane_account_active_leases",
    help: "Live (unexpired) leases each account holds.",
    labelNames: ["account", "platform"],
    registers,
    async collect() {
      this.reset();
      const s = await snapshot();
      for (const a of s?.accounts ?? []) this.set(labelsOf(a), s?.active.get(a.id) ?? 0);
    },
  });
  new Gauge({
    name: "control_plane_account_max_concurrent_tasks",
    help: "Each account's slot limit; 0 means unlimited.",
    labelNames: ["account", "platform"],
    registers,
    async collect() {
      this.reset();
      const s = await snapshot();
      for (const a of s?.accounts ?? []) this.set(labelsOf(a), a.maxConcurrentTasks);
    },
  });
  new Gauge({
    name: "control_plane_account_health",
    help: "1 for each account's current health state, 0 for the others.",
    labelNames: ["account", "platform", "state"],
    registers,
    async collect() {
      this.reset();
      const s = await snapshot();
      for (const a of s?.accounts ?? []) {
        const current = s?.states.get(a.id) ?? "healthy";
        for (const state of HEALTH_STATES) this.set({ ...labelsOf(a), state }, state === current ? 1 : 0);
      }
    },
  });
}

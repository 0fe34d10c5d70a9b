/**
 * QueueService: the wait-for-a-slot queue for the admin's view, proto ↔ the
 * queue view (leases/queue-view.ts), nothing more. Read-only.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { QueueService, WaitStatsSchema } from "@claude-relay/proto/admin";
import { readQueueView, type QueueViewDeps, type WaitStatsView } from "../../leases/queue-view.js";
import { platformToProto } from "../../providers/platform-proto.js";

/** Dependencies of createQueueService. */
export type QueueServiceDeps = QueueViewDeps;

const INT32_MAX = 2 ** 31 - 1;

/** The QueueService implementation. */
export function createQueueService(deps: QueueServiceDeps): ServiceImpl<typeof QueueService> {
  return {
    async getQueue() {
      const view = await readQueueView(deps);
      return {
        groups: view.groups.map(({ group, waiting, oldestWaitMs, accountIds }) => ({
          name: group.name,
          platform: platformToProto(group.platform),
          waiting,
          accountIds,
          oldestWaitMs: int32(oldestWaitMs),
        })),
        keys: view.keys.map(toWaitStats),
        accounts: view.accounts.map(toWaitStats),
      };
    },
  };
}

function toWaitStats(stats: WaitStatsView): MessageInitShape<typeof WaitStatsSchema> {
  return {
    id: stats.id,
    name: stats.name,
    count: stats.count,
    p50Ms: int32(stats.p50Ms),
    p90Ms: int32(stats.p90Ms),
    p99Ms: int32(stats.p99Ms),
    maxMs: int32(stats.maxMs),
  };
}

/** Milliseconds as the proto's int32 holds them (about 24 days at most). */
function int32(ms: number): number {
  return Math.min(INT32_MAX, Math.max(0, Math.round(ms)));
}

/**
 * AuditService: reads the audit log, newest first, filtered by admin and
 * action and paged by token. Recording is the audit interceptor's job.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { AuditService } from "@claude-relay/proto/admin";
import type { AuditLog } from "../../audit/audit-log.js";

/** Dependencies of createAuditService. */
export interface AuditServiceDeps {
  /** The log; without it the service answers FailedPrecondition. */
  audit?: Pick<AuditLog, "list"> | undefined;
}

/** The AuditService implementation. */
export function createAuditService({ audit }: AuditServiceDeps): ServiceImpl<typeof AuditService> {
  return {
    async listAuditEvents(req) {
      if (audit === undefined) throw new ConnectError("the audit log is not configured on this control plane", Code.FailedPrecondition);
      // A bad page_size or page_token throws InvalidRequestError, which the observer maps to InvalidArgument.
      const page = await audit.list({ actor: req.actor, action: req.action, pageSize: req.pageSize, pageToken: req.pageToken });
      return {
        events: page.events.map(({ timeMs, ...event }) => ({ ...event, time: timestampFromMs(timeMs) })),
        nextPageToken: page.nextPageToken,
      };
    },
  };
}

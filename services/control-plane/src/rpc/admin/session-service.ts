/**
 * SessionService: sticky sessions as records (session-store), with filters,
 * unbinding, and the affinity counters (affinity-counter).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { SessionStatus as ProtoSessionStatus, type SessionSchema, type SessionService } from "@claude-relay/proto/admin";
import { assertNever } from "../../errors.js";
import type { AffinityCounter } from "../../sessions/affinity-counter.js";
import type { SessionRecord, SessionStatus, SessionStore } from "../../sessions/session-store.js";
import { optionalTimestamp } from "./account-message.js";
import { checkNonEmpty, checkNonNegativeInt, invalidArgument, notFound } from "./field-checks.js";

/** Dependencies of createSessionService. */
export interface SessionServiceDeps {
  sessions: Pick<SessionStore, "get" | "list" | "unbind">;
  affinity: Pick<AffinityCounter, "totals">;
}

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

/** The SessionService implementation. */
export function createSessionService({ sessions, affinity }: SessionServiceDeps): ServiceImpl<typeof SessionService> {
  return {
    async listSessions(req) {
      const pageSize = req.pageSize === 0 ? DEFAULT_PAGE_SIZE : checkNonNegativeInt("page_size", req.pageSize);
      if (pageSize > MAX_PAGE_SIZE) throw invalidArgument("page_size", `must be at most ${MAX_PAGE_SIZE}`);
      if (req.pageToken !== "" && !/^\d{1,9}$/.test(req.pageToken)) throw invalidArgument("page_token", "is not a token from a previous answer");
      const status = fromProtoStatus(req.status);
      const { sessions: found, nextOffset } = await sessions.list({
        limit: pageSize,
        offset: req.pageToken === "" ? 0 : Number(req.pageToken),
        ...(req.keyId !== "" && { keyId: req.keyId }),
        ...(req.accountId !== "" && { accountId: req.accountId }),
        ...(status && { status }),
      });
      return { sessions: found.map(toSessionMessage), nextPageToken: nextOffset === undefined ? "" : String(nextOffset) };
    },

    async getSession(req) {
      const hash = checkNonEmpty("session_hash", req.sessionHash);
      const record = await sessions.get(hash);
      if (!record) throw notFound("session", hash);
      return { session: toSessionMessage(record) };
    },

    async unbindSession(req) {
      const hash = checkNonEmpty("session_hash", req.sessionHash);
      const record = await sessions.unbind(hash);
      if (!record) throw notFound("session", hash);
      return { session: toSessionMessage(record) };
    },

    async getAffinityStats() {
      const totals = await affinity.totals();
      return { hits: BigInt(totals.hit), moves: BigInt(totals.moved), newSessions: BigInt(totals.new) };
    },
  };
}

/** The admin Session message of a record. */
export function toSessionMessage(record: SessionRecord): MessageInitShape<typeof SessionSchema> {
  return {
    sessionHash: record.sessionHash,
    boundAccountId: record.boundAccountId,
    lastAccountId: record.lastAccountId,
    keyId: record.keyId,
    firstSeenAt: optionalTimestamp(record.firstSeenAtMs),
    lastSeenAt: optionalTimestamp(record.lastSeenAtMs),
    requestCount: record.requestCount,
    errorCount: record.errorCount,
    lastStatus: record.lastStatus,
    status: toProtoStatus(record.status),
    moveCount: record.moveCount,
  };
}

function toProtoStatus(status: SessionStatus): ProtoSessionStatus {
  switch (status) {
    case "ok":
      return ProtoSessionStatus.OK;
    case "error":
      return ProtoSessionStatus.ERROR;
    case "unbound":
      return ProtoSessionStatus.UNBOUND;
    default:
      return assertNever(status);
  }
}

function fromProtoStatus(status: ProtoSessionStatus): SessionStatus | undefined {
  switch (status) {
    case ProtoSessionStatus.OK:
      return "ok";
    case ProtoSessionStatus.ERROR:
      return "error";
    case ProtoSessionStatus.UNBOUND:
      return "unbound";
    case ProtoSessionStatus.UNSPECIFIED:
      return undefined;
    default:
      throw invalidArgument("status", `unknown value ${String(status)}`);
  }
}

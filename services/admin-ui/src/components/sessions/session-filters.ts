/**
 * The sessions page's filters and paging, pure: the ListSessions request of
 * the applied filters, the status names, and pages merged by session hash
 * (sessions move up the list as they are used, so a later page can repeat one).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { SessionStatus, type ListSessionsRequestSchema, type Session } from "@claude-relay/proto/admin";

/** Sessions per page. */
export const SESSION_PAGE_SIZE = 50;

/** What the list is narrowed to; "" and UNSPECIFIED match all. */
export interface SessionFilters {
  keyId: string;
  accountId: string;
  status: SessionStatus;
}

/** Filters that match every session. */
export function emptySessionFilters(): SessionFilters {
  return { keyId: "", accountId: "", status: SessionStatus.UNSPECIFIED };
}

/** The ListSessions request for `filters`, from `pageToken` ("" for the first page). */
export function toListSessionsRequest(filters: SessionFilters, pageToken = "", pageSize = SESSION_PAGE_SIZE): MessageInitShape<typeof ListSessionsRequestSchema> {
  return {
    keyId: (filters.keyId ?? "").trim(),
    accountId: (filters.accountId ?? "").trim(),
    status: filters.status ?? SessionStatus.UNSPECIFIED,
    pageSize,
    pageToken,
  };
}

/** A session status as named in the `sessionStatus.*` messages. */
export type SessionStatusName = "ok" | "error" | "unbound" | "unknown";

/** The name of a proto SessionStatus. */
export function sessionStatusName(status: SessionStatus): SessionStatusName {
  switch (status) {
    case SessionStatus.OK:
      return "ok";
    case SessionStatus.ERROR:
      return "error";
    case SessionStatus.UNBOUND:
      return "unbound";
    default:
      return "unknown";
  }
}

/** The statuses offered in the filter. */
export const FILTER_STATUSES: readonly SessionStatus[] = [SessionStatus.OK, SessionStatus.ERROR, SessionStatus.UNBOUND];

/** `earlier` followed by the sessions of `page` not already in it. */
export function mergeSessions(earlier: readonly Session[], page: readonly Session[]): Session[] {
  const seen = new Set(earlier.map((s) => s.sessionHash));
  return [...earlier, ...page.filter((s) => !seen.has(s.sessionHash))];
}

/** `sessions` with `updated` in place of the session with its hash. */
export function replaceSession(sessions: readonly Session[], updated: Session): Session[] {
  return sessions.map((s) => (s.sessionHash === updated.sessionHash ? updated : s));
}

/** The first characters of a session hash, enough to tell sessions apart on screen. */
export function shortHash(hash: string): string {
  return hash.length > 12 ? `${hash.slice(0, 12)}…` : hash;
}

/** Names by id, for showing keys and accounts by name. */
export function namesById(items: readonly { id: string; name: string }[]): Map<string, string> {
  return new Map(items.map((item) => [item.id, item.name]));
}

/** The whole percent of requests that stayed on their session's account (of those that had one); undefined before any. */
export function keptPercent(stats: { hits: bigint; moves: bigint }): number | undefined {
  const bound = stats.hits + stats.moves;
  return bound === 0n ? undefined : Math.round((Number(stats.hits) * 100) / Number(bound));
}

/**
 * Paging through the audit log, newest first. The API pages by token (stable
 * while new events arrive), so going back means remembering the tokens of the
 * pages already seen: a stack whose top is the page on screen.
 */

/** Where the audit page is: the tokens of the pages seen so far and the next page's token. */
export interface AuditCursor {
  /** Token of each page from the first (always "") to the current one. */
  readonly tokens: readonly string[];
  /** Token of the next (older) page; empty when there is none. */
  readonly next: string;
}

/** The first page, before it has loaded. */
export function firstPage(): AuditCursor {
  return { tokens: [""], next: "" };
}

/** The token that loads the current page. */
export function currentToken(cursor: AuditCursor): string {
  return cursor.tokens[cursor.tokens.length - 1] ?? "";
}

/** 1 for the first page. */
export function pageNumber(cursor: AuditCursor): number {
  return cursor.tokens.length;
}

/** The current page, loaded, with the server's token for the page after it. */
export function loaded(cursor: AuditCursor, nextPageToken: string): AuditCursor {
  return { tokens: cursor.tokens, next: nextPageToken };
}

/** True when an older page exists. */
export function hasOlder(cursor: AuditCursor): boolean {
  return cursor.next !== "";
}

/** True when a newer page exists. */
export function hasNewer(cursor: AuditCursor): boolean {
  return cursor.tokens.length > 1;
}

/** One page older; unchanged when there is none. */
export function older(cursor: AuditCursor): AuditCursor {
  return hasOlder(cursor) ? { tokens: [...cursor.tokens, cursor.next], next: "" } : cursor;
}

/** One page newer; unchanged on the first page. */
export function newer(cursor: AuditCursor): AuditCursor {
  return hasNewer(cursor) ? { tokens: cursor.tokens.slice(0, -1), next: "" } : cursor;
}

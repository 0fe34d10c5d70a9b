/**
 * Google's error shape, as a JSON body and as a mid-stream SSE event, and the HTTP status
 * Google pairs with each canonical status name.
 *
 * Google APIs answer errors as `{"error":{"code","message","status"}}`, where `status` is the
 * name of a `google.rpc.Code` and `code` its HTTP status (the mapping is the one written beside
 * each code in google/rpc/code.proto, https://cloud.google.com/apis/design/errors). Which
 * failure becomes which status is decided by each edge; this module only writes the bytes.
 * Reading an upstream's error is error-details.ts's job.
 */

/** The canonical status names (google.rpc.Code) that carry an HTTP error status. */
export type GoogleStatus =
  | "INVALID_ARGUMENT"
  | "FAILED_PRECONDITION"
  | "OUT_OF_RANGE"
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | "NOT_FOUND"
  | "ABORTED"
  | "ALREADY_EXISTS"
  | "RESOURCE_EXHAUSTED"
  | "CANCELLED"
  | "INTERNAL"
  | "UNKNOWN"
  | "DATA_LOSS"
  | "NOT_IMPLEMENTED"
  | "UNAVAILABLE"
  | "DEADLINE_EXCEEDED";

const HTTP_BY_STATUS: Readonly<Record<GoogleStatus, number>> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL: 500,
  UNKNOWN: 500,
  DATA_LOSS: 500,
  NOT_IMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/**
 * HTTP status → status name. Where several names share a status the most general one is
 * chosen (400 → INVALID_ARGUMENT, 409 → ABORTED, 500 → INTERNAL). The entries below the
 * blank line are ours, for statuses Google never sends: a gateway's 502, a timeout's 408,
 * an Anthropic-style 529 overload.
 */
const STATUS_BY_HTTP: ReadonlyMap<number, GoogleStatus> = new Map<number, GoogleStatus>([
  [400, "INVALID_ARGUMENT"],
  [401, "UNAUTHENTICATED"],
  [403, "PERMISSION_DENIED"],
  [404, "NOT_FOUND"],
  [409, "ABORTED"],
  [429, "RESOURCE_EXHAUSTED"],
  [499, "CANCELLED"],
  [500, "INTERNAL"],
  [501, "NOT_IMPLEMENTED"],
  [503, "UNAVAILABLE"],
  [504, "DEADLINE_EXCEEDED"],

  [408, "DEADLINE_EXCEEDED"],
  [502, "UNAVAILABLE"],
  [529, "UNAVAILABLE"],
]);

/** `{"error":{"code","message","status"}}` as JSON text, the shape every Google API answers errors with. */
export function googleErrorBody(code: number, status: GoogleStatus, message: string): string {
  return JSON.stringify({ error: { code, message, status } });
}

/**
 * An error as one text/event-stream event, for a stream that must end after bytes went out:
 * the Gemini API ends a broken `alt=sse` stream with a `data:` line carrying an error object,
 * framed with CRLF like the rest of its events. Note that @google/genai (1.52) reads such an
 * event as a chunk without candidates rather than raising it; the Gemini CLI then sees a stream
 * without a finish reason, which it treats as invalid and retries.
 */
export function sseGoogleErrorEvent(code: number, status: GoogleStatus, message: string): string {
  return `data: ${googleErrorBody(code, status, message)}\r\n\r\n`;
}

/** The HTTP status Google answers with for a status name. */
export function httpStatusOf(status: GoogleStatus): number {
  return HTTP_BY_STATUS[status];
}

/**
 * The status name for an HTTP status: the canonical one where Google defines it, else
 * INVALID_ARGUMENT for any other 4xx, INTERNAL for any other 5xx and UNKNOWN for the rest.
 */
export function googleStatusForHttp(code: number): GoogleStatus {
  const known = STATUS_BY_HTTP.get(code);
  if (known !== undefined) return known;
  if (code >= 400 && code < 500) return "INVALID_ARGUMENT";
  if (code >= 500 && code < 600) return "INTERNAL";
  return "UNKNOWN";
}

/** True when `value` is one of the status names above. */
export function isGoogleStatus(value: unknown): value is GoogleStatus {
  return typeof value === "string" && Object.hasOwn(HTTP_BY_STATUS, value);
}

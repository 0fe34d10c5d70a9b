/**
 * Short, secret-free reasons for the control plane's own upstream calls on an
 * account's behalf (token endpoints, the Code Assist setup calls): built from
 * status codes, OAuth/Google error codes and socket error codes only, never
 * from a message that could echo a token or a proxy password. Also says
 * whether a failed call certainly never reached the endpoint.
 */

/** Socket errors that mean nothing was sent. */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

/** Why a call that threw before an answer failed, and whether it may have been sent. */
export function describeCallFailure(err: unknown, endpoint: string, viaProxy: boolean): { reason: string; sent: boolean } {
  const refusal = proxyRefusal(err);
  // A tunnel the proxy refused never carried the request.
  if (viaProxy && refusal) return { reason: `the account's proxy refused the tunnel (${refusal})`, sent: false };
  const code = errorCode(err);
  const via = viaProxy ? " through the account's proxy" : "";
  return { reason: `${endpoint} unreachable${via}${code ? ` (${code})` : ""}`, sent: !(code && NOT_SENT_CODES.has(code)) };
}

/** The JSON object in `text`; undefined for anything else. */
export function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** At most 64 characters of letters, digits, "_", "." and "-": safe to put in a reason. */
export function safeToken(value: string): string {
  return value.replace(/[^A-Za-z0-9_.-]/g, "").slice(0, 64);
}

function errorCode(err: unknown): string | undefined {
  for (let e = err, depth = 0; typeof e === "object" && e !== null && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return safeToken(code);
    if ((e as { name?: unknown }).name === "TimeoutError") return "timeout";
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * How a proxy refused to open the tunnel, from undici's errors: an HTTP proxy's CONNECT status
 * ("Proxy response (407) …") or a SOCKS5 handshake error code; undefined for anything else.
 */
function proxyRefusal(err: unknown): string | undefined {
  for (let e = err, depth = 0; typeof e === "object" && e !== null && depth < 4; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === "string" && code.startsWith("UND_ERR_SOCKS5")) return safeToken(code);
    const status = typeof message === "string" ? /^Proxy response \((\d{3})\)/.exec(message)?.[1] : undefined;
    if (status) return `HTTP ${status}`;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

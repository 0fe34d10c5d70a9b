/**
 * Field checks shared by the admin services. A failed check throws a
 * Code.InvalidArgument ConnectError whose message starts with the proto field
 * name, so a caller (the UI, the CLI, curl) knows which input to fix.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** Protocols an account's base URL may use. */
export const BASE_URL_PROTOCOLS = ["https:", "http:"] as const;
/** Protocols an account's proxy URL may use. */
export const PROXY_URL_PROTOCOLS = ["socks5:", "socks5h:", "http:", "https:"] as const;

/** An InvalidArgument error naming the field. */
export function invalidArgument(field: string, problem: string): ConnectError {
  return new ConnectError(`${field}: ${problem}`, Code.InvalidArgument);
}

/** A NotFound error for an id that does not exist. */
export function notFound(what: string, id: string): ConnectError {
  return new ConnectError(`${what} "${truncate(id)}" not found`, Code.NotFound);
}

/** The value trimmed; refused when empty. */
export function checkNonEmpty(field: string, value: string): string {
  const trimmed = value.trim();
  if (trimmed === "") throw invalidArgument(field, "must not be empty");
  return trimmed;
}

/** The value when it is an integer ≥ 0. Proto int32 already rules out fractions; this rules out negatives. */
export function checkNonNegativeInt(field: string, value: number, meaning = ""): number {
  if (!Number.isInteger(value) || value < 0) {
    throw invalidArgument(field, `must be a non-negative integer${meaning ? ` (${meaning})` : ""}, got ${value}`);
  }
  return value;
}

/** The URL as given when it parses, has a host and uses one of the protocols. */
export function checkUrl(field: string, value: string, protocols: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The value is not echoed: a proxy URL may carry a password.
    throw invalidArgument(field, "is not a valid URL");
  }
  if (!protocols.includes(url.protocol)) throw invalidArgument(field, `must use ${protocols.map((p) => p.slice(0, -1)).join(", ")}`);
  if (url.hostname === "") throw invalidArgument(field, "must name a host");
  return value;
}

/** A group name: "" (none), or up to 64 letters, digits, "_", "-", "." and ":". */
export function checkGroupName(field: string, value: string): string {
  const trimmed = value.trim();
  if (trimmed !== "" && !/^[A-Za-z0-9_.:-]{1,64}$/.test(trimmed)) throw invalidArgument(field, "must be at most 64 letters, digits, '_', '-', '.' or ':'");
  return trimmed;
}

/** Model names, each non-empty; an entry ending in "*" is a prefix. */
export function checkModelList(field: string, models: readonly string[]): string[] {
  return models.map((model, i) => checkNonEmpty(`${field}[${i}]`, model));
}

function truncate(id: string): string {
  return id.length > 64 ? `${id.slice(0, 64)}…` : id;
}

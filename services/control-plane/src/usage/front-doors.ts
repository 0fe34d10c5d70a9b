/**
 * The relay's front doors: the client API a request came in on, as Release
 * names it (`ReleaseRequest.front_door`). Only the names below are counted; an
 * empty value (a relay older than the field) or a name this version does not
 * know leaves the request out of every front door's counters, though it is
 * still counted in the totals, like a request whose platform is unknown. So the
 * set of fields stays closed whatever a relay sends.
 *
 * A front door's counters sit in the overall day and hour hashes beside the
 * platforms', under FRONT_DOOR_FIELD_PREFIX: a platform name never holds ":",
 * so the two cannot collide.
 */

/** A front door this control plane counts; the wire name used in Redis and the admin API's usage ids. */
export type FrontDoorName = "anthropic" | "gemini" | "openai-chat" | "openai-responses";

/** Every front door, in the order the admin UI lists them. */
export const FRONT_DOORS: readonly FrontDoorName[] = ["anthropic", "gemini", "openai-chat", "openai-responses"];

/** What a front door's field names start with in the day and hour hashes: "door:<front door>|<counter>". */
export const FRONT_DOOR_FIELD_PREFIX = "door:";

/** The front door a Release names; undefined for "" and for names this version does not know. */
export function frontDoorOf(value: string): FrontDoorName | undefined {
  return (FRONT_DOORS as readonly string[]).includes(value) ? (value as FrontDoorName) : undefined;
}

/**
 * The proto's Platform enum and the control plane's platform names, mapped in
 * one place for both edges: the lease service (AcquireRequest.platform) and
 * the admin API (key scopes, usage per platform). How an unspecified value
 * reads is the caller's: Acquire reads it as Claude, an admin input refuses it.
 */
import { Platform } from "@claude-relay/proto/lease";
import { PLATFORMS, type PlatformName } from "./account-types.js";

const TO_PROTO: Readonly<Record<PlatformName, Platform>> = Object.freeze({
  claude: Platform.CLAUDE,
  gemini: Platform.GEMINI,
  openai: Platform.OPENAI,
});

const FROM_PROTO: ReadonlyMap<Platform, PlatformName> = new Map(PLATFORMS.map((name) => [TO_PROTO[name], name]));

/** The platform a proto value names; undefined for UNSPECIFIED and for values this control plane does not know. */
export function platformFromProto(value: Platform): PlatformName | undefined {
  return FROM_PROTO.get(value);
}

/** The proto value of a platform. */
export function platformToProto(name: PlatformName): Platform {
  return TO_PROTO[name];
}

/** True for a platform name this control plane serves ("claude", "gemini", "openai"). */
export function isPlatformName(value: string): value is PlatformName {
  return (PLATFORMS as readonly string[]).includes(value);
}

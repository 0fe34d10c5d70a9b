/**
 * Which platforms a key may use, and the group it is bound to on each. The
 * form checks platforms; every one checked is sent as the empty list, which
 * the API reads as "every platform" (platforms added later included). A
 * per-platform group replaces the key's account or group binding on that
 * platform only; a group on a platform the key may not use is not sent.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ApiKey, Platform, PlatformGroupSchema } from "@claude-relay/proto/admin";
import { PLATFORM_IDS, platformEnum, platformId, type PlatformId } from "../platforms/platforms.js";

/** The platform part of the key form. */
export interface PlatformScope {
  /** Platforms the key may use; all of them means every platform. */
  platforms: PlatformId[];
  /** Per platform, the group that serves the key there; "" for the key's own binding. */
  platformGroups: Record<PlatformId, string>;
}

/** A key with no platform restriction and no per-platform group. */
export function emptyPlatformScope(): PlatformScope {
  return { platforms: [...PLATFORM_IDS], platformGroups: Object.fromEntries(PLATFORM_IDS.map((id) => [id, ""])) as Record<PlatformId, string> };
}

/** The platforms a key's list names, in the UI's order; an empty list reads as every platform. */
export function allowedPlatforms(platforms: readonly Platform[]): PlatformId[] {
  const ids = new Set(platforms.flatMap((p) => platformId(p) ?? []));
  return ids.size === 0 ? [...PLATFORM_IDS] : PLATFORM_IDS.filter((id) => ids.has(id));
}

/** The form's platform part for editing `key`. */
export function scopeFromApiKey(key: Pick<ApiKey, "platforms" | "platformGroups">): PlatformScope {
  const scope = emptyPlatformScope();
  scope.platforms = allowedPlatforms(key.platforms);
  for (const { platform, group } of key.platformGroups) {
    const id = platformId(platform);
    if (id !== undefined) scope.platformGroups[id] = group;
  }
  return scope;
}

/** The platforms to send: empty when every platform is checked. */
export function platformList(scope: PlatformScope): Platform[] {
  const checked = PLATFORM_IDS.filter((id) => scope.platforms.includes(id));
  return checked.length === PLATFORM_IDS.length ? [] : checked.map(platformEnum);
}

/** The per-platform groups to send: set ones on allowed platforms, trimmed. */
export function platformGroupList(scope: PlatformScope): MessageInitShape<typeof PlatformGroupSchema>[] {
  return PLATFORM_IDS.flatMap((id) => {
    const group = scope.platformGroups[id].trim();
    return group !== "" && scope.platforms.includes(id) ? [{ platform: platformEnum(id), group }] : [];
  });
}

function groupsKey(groups: readonly { platform?: Platform; group?: string }[]): string {
  return groups
    .flatMap((g) => (g.group ? [`${g.platform ?? 0}=${g.group}`] : []))
    .sort()
    .join("\n");
}

/** The UpdateApiKey fields replacing the platforms or the groups, only those that differ from `key`. */
export function platformScopeChanges(
  scope: PlatformScope,
  key: Pick<ApiKey, "platforms" | "platformGroups">,
): { platforms?: { platforms: Platform[] }; platformGroups?: { groups: MessageInitShape<typeof PlatformGroupSchema>[] } } {
  const changes: ReturnType<typeof platformScopeChanges> = {};
  const platforms = platformList(scope);
  // The key's own list is compared as the form would send it, so an explicit "every platform" is no change.
  if (platforms.join() !== platformList({ ...scope, platforms: allowedPlatforms(key.platforms) }).join()) changes.platforms = { platforms };
  const groups = platformGroupList(scope);
  if (groupsKey(groups) !== groupsKey(key.platformGroups)) changes.platformGroups = { groups };
  return changes;
}

/** Why the platform part cannot be sent, as a message key; undefined when it can. */
export function platformScopeProblem(scope: PlatformScope): string | undefined {
  return scope.platforms.length === 0 ? "apiKeyForm.platformsRequired" : undefined;
}

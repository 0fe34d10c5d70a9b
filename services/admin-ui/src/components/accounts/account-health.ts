/**
 * How an account's health reads on the accounts page: the state behind the
 * tag (also its `data-health`), its colour, and the tooltip lines with the
 * server's reason and the time left. Healthy is green; rate limited and
 * overloaded orange; unauthorized and circuit open red; half open yellow;
 * banned (the upstream disabled the account or its organisation) a dark red
 * of its own, since unlike unauthorized no new credential brings it back.
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { AccountHealth, type Account } from "@claude-relay/proto/admin";
import { formatDuration, type Translate } from "../../i18n/format-duration.js";

/** An account's health state, as named in the `health.*` messages and `data-health`. */
export type HealthState = "healthy" | "rate_limited" | "overloaded" | "unauthorized" | "banned" | "circuit_open" | "half_open" | "unknown";

/** The tag colour of a state. */
export type HealthColor = "green" | "orange" | "red" | "darkred" | "yellow" | "grey";

/** The state of a proto AccountHealth; UNSPECIFIED or a newer value reads unknown. */
export function healthState(health: AccountHealth): HealthState {
  switch (health) {
    case AccountHealth.HEALTHY:
      return "healthy";
    case AccountHealth.RATE_LIMITED:
      return "rate_limited";
    case AccountHealth.OVERLOADED:
      return "overloaded";
    case AccountHealth.UNAUTHORIZED:
      return "unauthorized";
    case AccountHealth.CIRCUIT_OPEN:
      return "circuit_open";
    case AccountHealth.CIRCUIT_HALF_OPEN:
      return "half_open";
    case AccountHealth.BANNED:
      return "banned";
    default:
      return "unknown";
  }
}

const COLORS: Record<HealthState, HealthColor> = {
  healthy: "green",
  rate_limited: "orange",
  overloaded: "orange",
  unauthorized: "red",
  banned: "darkred",
  circuit_open: "red",
  half_open: "yellow",
  unknown: "grey",
};

/** The tag colour of `state`. */
export function healthColor(state: HealthState): HealthColor {
  return COLORS[state];
}

/** The camelCase message key of a state under `health.*`. */
export function healthLabelKey(state: HealthState): string {
  return `health.${state.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())}`;
}

/** Milliseconds until `until`, or undefined when unset or past. */
export function timeLeftMs(until: Account["healthUntil"], nowMs: number): number | undefined {
  if (until === undefined) return undefined;
  const left = timestampMs(until) - nowMs;
  return left > 0 ? left : undefined;
}

/** The tooltip of a health tag: the state, the server's reason, and when it ends. */
export function healthTooltip(account: Pick<Account, "health" | "healthReason" | "healthUntil">, t: Translate, nowMs: number): string[] {
  const state = healthState(account.health);
  const lines = [t(healthLabelKey(state), {})];
  if (account.healthReason !== "") lines.push(t("health.reason", { reason: account.healthReason }));
  const left = timeLeftMs(account.healthUntil, nowMs);
  const time = left === undefined ? undefined : formatDuration(left, t);
  switch (state) {
    case "healthy":
      lines.push(t("health.healthyHint", {}));
      break;
    case "rate_limited":
    case "overloaded":
      lines.push(time === undefined ? t("health.endsSoon", {}) : t("health.usableIn", { time }));
      break;
    case "circuit_open":
      lines.push(time === undefined ? t("health.probeSoon", {}) : t("health.probeIn", { time }));
      break;
    case "half_open":
      lines.push(t("health.halfOpenHint", {}));
      break;
    case "unauthorized":
      lines.push(t("health.unauthorizedHint", {}));
      break;
    case "banned":
      lines.push(t("health.bannedHint", {}));
      break;
    case "unknown":
      break;
  }
  return lines;
}

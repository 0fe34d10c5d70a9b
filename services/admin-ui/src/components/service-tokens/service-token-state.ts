/** A token's state as the page names it, and its tag colour. */
import { ServiceTokenState } from "@claude-relay/proto/admin";

/** The i18n key under serviceTokens.state and the Element Plus tag type. */
export function stateView(state: ServiceTokenState): { key: "active" | "expired" | "revoked" | "unknown"; tag: "success" | "info" | "danger" } {
  switch (state) {
    case ServiceTokenState.ACTIVE:
      return { key: "active", tag: "success" };
    case ServiceTokenState.EXPIRED:
      return { key: "expired", tag: "info" };
    case ServiceTokenState.REVOKED:
      return { key: "revoked", tag: "danger" };
    default:
      return { key: "unknown", tag: "info" };
  }
}

/**
 * ListModels as the model directory wants it: the models, the control
 * plane's refusal as a relay failure, or the failure to ask it.
 */
import type { LeaseClient } from "../../control-plane/lease-client.js";
import type { ModelListing } from "./model-directory.js";

/** Asks the control plane which models the key may use. */
export async function listModels(leases: Pick<LeaseClient, "listModels">, keyHash: string): Promise<ModelListing> {
  try {
    const answer = await leases.listModels(keyHash);
    const result = answer.result;
    if (result.case === "models") return { ok: true, models: result.value.models };
    if (result.case === "refusal") {
      const { reason, message, retryAfterMs } = result.value;
      return { ok: false, failure: { kind: "refusal", reason, message, retryAfterMs } };
    }
    return { ok: false, failure: { kind: "internal" } };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { ok: false, failure: { kind: code === "ERR_CONTROL_PLANE_UNAVAILABLE" ? "control-plane-unavailable" : "internal" } };
  }
}

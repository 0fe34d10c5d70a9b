import { AccountSignal } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import { claudeHintsOf } from "./claude-account-state.js";

const error = (message: string, type = "permission_error") => ({ type: "error", error: { type, message } });

describe("claudeHintsOf", () => {
  const table: Array<{ name: string; status: number; body: unknown; signal?: AccountSignal; detail?: string }> = [
    { name: "a disabled organisation", status: 403, body: error("This organization has been disabled."), signal: AccountSignal.BANNED, detail: "organization disabled" },
    {
      name: "an organisation that may no longer sign in with OAuth",
      status: 403,
      body: error("OAuth authentication is currently not allowed for this organization."),
      signal: AccountSignal.BANNED,
      detail: "organization may not use OAuth",
    },
    { name: "a disabled organisation answered as 401", status: 401, body: error("This organization has been disabled.", "authentication_error"), signal: AccountSignal.BANNED },
    { name: "an expired token", status: 401, body: error("OAuth token has expired.", "authentication_error") },
    { name: "any other 403", status: 403, body: error("Your API key does not have permission to use the specified resource.") },
    { name: "a ban's words on a 400", status: 400, body: error("This organization has been disabled.", "invalid_request_error") },
    { name: "a body that is not an error", status: 403, body: "<html>forbidden</html>" },
  ];
  for (const row of table) {
    it(`reads ${row.name}`, () => {
      const hints = claudeHintsOf(row.status, row.body);
      if (row.signal === undefined) return expect(hints).toBeUndefined();
      expect(hints?.signal).toBe(row.signal);
      if (row.detail) expect(hints?.detail).toBe(row.detail);
    });
  }
});

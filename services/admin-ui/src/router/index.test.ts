import { describe, expect, it } from "vitest";
import { createMemoryHistory } from "vue-router";
import { createAppRouter } from "./index.js";

function router(signedIn: boolean) {
  return createAppRouter({ isSignedIn: () => signedIn }, createMemoryHistory("/admin/"));
}

describe("router guard", () => {
  it("sends a signed-out user to the login page, remembering the deep link", async () => {
    const r = router(false);
    await r.push("/api-keys");
    expect(r.currentRoute.value.name).toBe("login");
    expect(r.currentRoute.value.query.redirect).toBe("/api-keys");
  });

  it("lets a signed-in user open a deep link", async () => {
    const r = router(true);
    await r.push("/settings");
    expect(r.currentRoute.value.name).toBe("settings");
  });

  it("sends a signed-in user away from the login page and unknown paths to the accounts", async () => {
    const r = router(true);
    await r.push("/login");
    expect(r.currentRoute.value.name).toBe("accounts");
    await r.push("/no/such/page");
    expect(r.currentRoute.value.name).toBe("accounts");
  });

  it("opens the accounts page at the root", async () => {
    const r = router(true);
    await r.push("/");
    expect(r.currentRoute.value.name).toBe("accounts");
  });
});

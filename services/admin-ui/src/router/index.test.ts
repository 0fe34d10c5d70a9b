import { describe, expect, it } from "vitest";
import { createMemoryHistory } from "vue-router";
import { createAppRouter } from "./index.js";

function router(signedIn: boolean) {
  return createAppRouter({ isSignedIn: () => signedIn }, createMemoryHistory("/admin/"));
}

// The first navigation compiles a lazily loaded page with Element Plus, which takes seconds on a loaded machine.
describe("router guard", { timeout: 30_000 }, () => {
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

  it("sends a signed-in user away from the login page and unknown paths to the dashboard", async () => {
    const r = router(true);
    await r.push("/login");
    expect(r.currentRoute.value.name).toBe("dashboard");
    await r.push("/no/such/page");
    expect(r.currentRoute.value.name).toBe("dashboard");
  });

  it("opens the dashboard at the root", async () => {
    const r = router(true);
    await r.push("/");
    expect(r.currentRoute.value.name).toBe("dashboard");
  });

  it("opens the sessions page by its deep link", async () => {
    const r = router(true);
    await r.push("/sessions");
    expect(r.currentRoute.value.name).toBe("sessions");
  });

  it("opens the model aliases page by its deep link", async () => {
    const r = router(true);
    await r.push("/model-aliases");
    expect(r.currentRoute.value.name).toBe("model-aliases");
  });

  it("opens the prices page by its deep link", async () => {
    const r = router(true);
    await r.push("/prices");
    expect(r.currentRoute.value.name).toBe("prices");
  });
});

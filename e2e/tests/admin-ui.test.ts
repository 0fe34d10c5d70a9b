/**
 * The admin UI in a real browser (headless Chromium through playwright-core)
 * against the whole stack: sign in to a dashboard that counts a request
 * made through the relay, create an account (healthy) and a key, copy the
 * key's secret, find and unbind the request's session, watch the concurrency
 * bar follow leases held over gRPC without a reload, switch the language, reload a deep link, find the
 * account's creation in the audit log, and change the password.
 * Screenshots of each page land in test-artifacts/admin-ui/.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import { AcquireRequestSchema, LeaseService, type AcquireRequest, type AcquireResponse } from "@claude-relay/proto/lease";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, startStack, type Stack } from "./support/stack.js";

const CHROMIUM = "/usr/bin/chromium";
const ADMIN_PASSWORD = "e2e-admin-password-123";
const NEW_ADMIN_PASSWORD = "e2e-changed-password-456";
const artifacts = join(repoRoot, "test-artifacts", "admin-ui");
const UI = { timeout: 15_000 };

let stack: Stack | undefined;
let context: BrowserContext | undefined;
let profileDir: string | undefined;
let leaseClient: grpc.Client | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-test-deps.sh (it installs chromium)`);
  if (!existsSync(join(repoRoot, "services/admin-ui/dist/index.html"))) {
    throw new Error("services/admin-ui/dist is missing: run `npm run build` first (npm test does)");
  }
  await mkdir(artifacts, { recursive: true });
  stack = await startStack({ leaseTtlMs: 300_000 });
  profileDir = await mkdtemp(join(tmpdir(), "claude-relay-chromium-"));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.adminUrl });
  const Client = grpc.makeGenericClientConstructor(toGrpcServiceDefinition(LeaseService), "LeaseService");
  leaseClient = new Client(`127.0.0.1:${stack.grpcPort}`, grpc.credentials.createInsecure());
}, 90_000);

afterAll(async () => {
  leaseClient?.close();
  await context?.close();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
  await stack?.stop();
});

/** Holds one lease for the stack's client key, as the relay would before an upstream call. */
function acquireLease(s: Stack): Promise<AcquireResponse> {
  const request: AcquireRequest = create(AcquireRequestSchema, {
    keyHash: createHash("sha256").update(s.clientKey).digest("hex"),
    model: "claude-sonnet-4-5",
    requestId: `admin-ui-e2e-${Date.now()}`,
  });
  const metadata = new grpc.Metadata();
  metadata.set("x-internal-token", s.internalToken);
  const call = (leaseClient as unknown as Record<string, (...args: unknown[]) => void>).acquire as (
    req: AcquireRequest,
    md: grpc.Metadata,
    callback: (err: grpc.ServiceError | null, res?: AcquireResponse) => void,
  ) => void;
  return new Promise((resolve, reject) => {
    call.call(leaseClient, request, metadata, (err, res) => (err || !res ? reject(err ?? new Error("no answer")) : resolve(res)));
  });
}

function row(page: Page, name: string): Locator {
  return page.locator(".el-table__body-wrapper .el-table__row").filter({ has: page.getByTestId("account-name").getByText(name, { exact: true }) });
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/** Fills an Element Plus input found by its form item's test id, then leaves it so number inputs commit. */
async function fill(page: Page, testId: string, value: string): Promise<void> {
  const input = page.getByTestId(testId).locator("input").first();
  await input.fill(value);
  await input.press("Tab");
}

describe("the admin UI", () => {
  it("runs the operator's day from sign-in to a deep-link reload", async () => {
    const s = stack as Stack;
    const page = await (context as BrowserContext).newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));

    // One request through the relay before signing in, so the dashboard and the sessions page have something to show.
    const relayed = await fetch(`${s.relayUrl}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": s.clientKey, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "hello from the admin UI test" }] }),
    });
    expect(relayed.status).toBe(200);
    await relayed.arrayBuffer();
    // Its cost lands with its Release, after the answer: wait for it rather than race it.
    await expect
      .poll(async () => (await s.apiKeys.listApiKeys({})).apiKeys.find((k) => k.name === "e2e")?.spend?.todayUsd ?? 0, UI)
      .toBeGreaterThan(0);

    // Sign in: a wrong password is refused clearly, the right one lands on the dashboard.
    await page.goto(`${s.adminUrl}/admin/`);
    await page.waitForURL(/\/admin\/login/, UI);
    await fill(page, "login-username", "admin");
    await fill(page, "login-password", "not-the-password");
    await page.getByTestId("login-submit").click();
    await expect.poll(() => page.getByTestId("login-error").textContent(), UI).toContain("Wrong username or password");
    await screenshot(page, "login");
    await fill(page, "login-password", ADMIN_PASSWORD);
    await page.getByTestId("login-submit").click();
    await page.waitForURL(/\/admin\/dashboard$/, UI);

    // The dashboard's cards count the request made before: one request, its tokens and cost, one healthy account.
    const statValue = (card: string) => page.getByTestId(card).getByTestId("stat-value").textContent();
    await expect.poll(() => statValue("stat-requests"), UI).toBe("1");
    expect(Number((await statValue("stat-tokens"))?.replace(/,/g, ""))).toBeGreaterThan(0);
    expect(await statValue("stat-cost")).toMatch(/^\$0\.\d*[1-9]/);
    expect(await statValue("stat-keys")).toBe("1");
    expect(await page.getByTestId("accounts-by-health").getAttribute("data-health")).toBe("healthy");
    await page.getByTestId("top-keys").getByText("e2e", { exact: true }).waitFor(UI);
    await page.getByTestId("trend-chart").locator("canvas").waitFor(UI);
    await page.getByTestId("model-chart").locator("canvas").waitFor(UI);
    await screenshot(page, "dashboard");
    await page.getByTestId("nav-accounts").click();
    await page.waitForURL(/\/admin\/accounts$/, UI);
    await row(page, "account-1").waitFor(UI);

    // Create a console account limited to 2 concurrent tasks.
    await page.getByTestId("add-account").click();
    await fill(page, "account-form-name", "ui-account");
    await fill(page, "account-form-base-url", "not-a-url");
    await fill(page, "account-form-api-key", "sk-ant-upstream-ui-0001");
    await page.getByTestId("account-form-submit").click();
    // The server's field message is shown as it came.
    await expect.poll(() => page.getByTestId("form-error").textContent(), UI).toContain("base_url: is not a valid URL");
    await fill(page, "account-form-base-url", s.mock.url);
    await fill(page, "account-form-api-key", "sk-ant-upstream-ui-0001");
    await fill(page, "account-form-priority", "10");
    await fill(page, "account-form-max-concurrent", "2");
    await page.getByTestId("account-form-submit").click();
    const uiRow = row(page, "ui-account");
    await uiRow.waitFor(UI);
    await expect.poll(() => uiRow.getByTestId("concurrency-text").textContent(), UI).toBe("0 / 2");
    // A new account is healthy, and says so on hover.
    const healthTag = uiRow.getByTestId("health-tag");
    expect(await healthTag.getAttribute("data-health")).toBe("healthy");
    expect(await healthTag.textContent()).toContain("Healthy");
    await healthTag.hover();
    await expect.poll(() => page.getByTestId("health-tooltip").filter({ visible: true }).textContent(), UI).toContain("Taking requests.");
    await page.mouse.move(0, 0);

    // Take the stack's own account out of scheduling, so every lease lands on ui-account.
    await row(page, "account-1").getByTestId("schedulable-switch").click();
    await expect
      .poll(async () => (await s.accounts.listAccounts({})).accounts.find((a) => a.name === "account-1")?.schedulable, UI)
      .toBe(false);

    // Create a key and copy its one-time secret.
    await page.getByTestId("nav-api-keys").click();
    await page.waitForURL(/\/admin\/api-keys$/, UI);
    await page.getByTestId("add-api-key").click();
    await fill(page, "api-key-form-name", "ui-key");
    await fill(page, "api-key-form-concurrency", "3");
    await page.getByTestId("api-key-form-submit").click();
    const shown = (await page.getByTestId("plaintext-key").textContent(UI))?.trim() ?? "";
    expect(shown).toMatch(/^cr_[A-Za-z0-9_-]{43}$/);
    await page.getByTestId("copy-secret").click();
    await expect.poll(() => page.evaluate<string>("navigator.clipboard.readText()"), UI).toBe(shown);
    await screenshot(page, "api-key-secret");
    await page.getByTestId("secret-done").click();
    await page.getByTestId("secret-done").waitFor({ state: "hidden", ...UI });
    const keyRow = page.locator(".el-table__body-wrapper .el-table__row").filter({ hasText: "ui-key" });
    await expect.poll(() => keyRow.getByTestId("api-key-state").textContent(), UI).toContain("Active");
    await expect.poll(() => keyRow.textContent(), UI).toContain(shown.slice(0, 7));
    await screenshot(page, "api-keys");

    // The request made before signing in is a sticky session on account-1; unbinding it asks first.
    await page.getByTestId("nav-sessions").click();
    await page.waitForURL(/\/admin\/sessions$/, UI);
    const sessionRow = page.locator(".el-table__body-wrapper .el-table__row").first();
    await expect.poll(() => sessionRow.getByTestId("session-status").textContent(), UI).toContain("OK");
    expect(await sessionRow.getByTestId("session-account").textContent()).toBe("account-1");
    expect(await sessionRow.textContent()).toContain("e2e");
    await screenshot(page, "sessions");
    await sessionRow.getByTestId("unbind-session").click();
    await page.locator(".el-message-box__btns .el-button--primary").click();
    await expect.poll(() => sessionRow.getByTestId("session-status").textContent(), UI).toContain("Unbound");

    // Leases held over gRPC show up on the open page without a reload.
    await page.getByTestId("nav-accounts").click();
    await page.waitForURL(/\/admin\/accounts$/, UI);
    await uiRow.waitFor(UI);
    // Set on this document only: a reload would lose it.
    await page.evaluate("window.noReload = true");
    const bar = uiRow.getByTestId("concurrency-bar");
    const first = await acquireLease(s);
    expect(first.result.case).toBe("lease");
    expect(first.result.case === "lease" && first.result.value.account?.name).toBe("ui-account");
    await expect.poll(() => uiRow.getByTestId("concurrency-text").textContent(), UI).toBe("1 / 2");
    expect(await uiRow.getByTestId("concurrency-percent").textContent()).toBe("50%");
    expect(await bar.getAttribute("data-level")).toBe("ok");

    const second = await acquireLease(s);
    expect(second.result.case === "lease" && second.result.value.account?.name).toBe("ui-account");
    await expect.poll(() => uiRow.getByTestId("concurrency-text").textContent(), UI).toBe("2 / 2");
    expect(await uiRow.getByTestId("concurrency-percent").textContent()).toBe("100%");
    expect(await bar.getAttribute("data-level")).toBe("full");
    expect(await page.evaluate("window.noReload")).toBe(true);
    await screenshot(page, "accounts");

    // Lift the limit: the bar gives way to the unlimited badge and the active count.
    await uiRow.getByTestId("edit-account").click();
    await fill(page, "account-form-max-concurrent", "0");
    await page.getByTestId("account-form-submit").click();
    await uiRow.getByTestId("unlimited-badge").waitFor(UI);
    expect(await uiRow.getByTestId("concurrency-text").textContent()).toBe("2");
    expect(await uiRow.getByTestId("concurrency-bar").count()).toBe(0);

    // Switch to Simplified Chinese; the choice survives a reload.
    await page.getByTestId("language-switch").click();
    await page.getByRole("option", { name: "简体中文" }).click();
    await expect.poll(() => page.getByTestId("nav-accounts").textContent(), UI).toContain("账户");
    await expect.poll(() => page.getByTestId("header-sign-out").textContent(), UI).toContain("退出登录");
    await screenshot(page, "accounts-zh-CN");

    // A deep link reloads into the same page, still signed in and still in Chinese.
    await page.goto(`${s.adminUrl}/admin/accounts`);
    await page.reload();
    await uiRow.waitFor(UI);
    expect(new URL(page.url()).pathname).toBe("/admin/accounts");
    expect(await page.getByTestId("nav-accounts").textContent()).toContain("账户");

    // Connect your client: commands filled in with the relay URL, which is remembered.
    await page.goto(`${s.adminUrl}/admin/connect`);
    await expect.poll(() => page.getByTestId("snippet-claude-code").textContent(), UI).toContain("ANTHROPIC_BASE_URL=http://127.0.0.1:8080");
    await fill(page, "connect-relay-url", s.relayUrl);
    await expect.poll(() => page.getByTestId("snippet-curl").textContent(), UI).toContain(`${s.relayUrl}/v1/messages`);
    await page.reload();
    await expect.poll(() => page.getByTestId("snippet-claude-code").textContent(), UI).toContain(`ANTHROPIC_BASE_URL=${s.relayUrl}`);
    await screenshot(page, "connect");

    // The audit log shows the account's creation: by the admin, from this machine, after the refused first try.
    const uiAccountId = (await s.accounts.listAccounts({})).accounts.find((a) => a.name === "ui-account")?.id ?? "";
    expect(uiAccountId).not.toBe("");
    await page.getByTestId("nav-audit").click();
    await page.waitForURL(/\/admin\/audit$/, UI);
    const creations = page
      .locator(".el-table__body-wrapper .el-table__row")
      .filter({ has: page.getByTestId("audit-target-name").getByText("ui-account", { exact: true }) })
      .filter({ has: page.getByTestId("audit-action").getByText("AccountService/CreateAccount", { exact: true }) });
    await expect.poll(() => creations.count(), UI).toBe(2);
    const [created, refused] = [creations.nth(0), creations.nth(1)];
    expect(await created.textContent()).toContain(uiAccountId);
    expect(await created.textContent()).toContain("admin");
    expect(await created.textContent()).toContain("127.0.0.1");
    expect(await created.getByTestId("audit-outcome").textContent()).not.toContain("invalid_argument");
    expect(await refused.getByTestId("audit-outcome").textContent()).toContain("invalid_argument");
    // The upstream key typed into the form never reaches the log.
    expect(await page.locator(".el-table__body-wrapper").textContent()).not.toContain("sk-ant-upstream-ui-0001");
    await fill(page, "audit-filter-action", "ApiKeyService/");
    await page.getByTestId("audit-search").click();
    await expect.poll(() => page.getByTestId("audit-action").allTextContents(), UI).toEqual(["ApiKeyService/CreateApiKey", "ApiKeyService/CreateApiKey"]);
    await page.getByTestId("audit-reset").click();
    await expect.poll(() => creations.count(), UI).toBe(2);
    await expect.poll(() => page.locator(".el-loading-mask").count(), UI).toBe(0);
    await screenshot(page, "audit");

    // Settings: change the password; the admin's other session (the stack's API client) ends.
    await page.getByTestId("nav-settings").click();
    await page.getByTestId("sign-out").waitFor(UI);
    await fill(page, "password-current", ADMIN_PASSWORD);
    await fill(page, "password-new", "too-short");
    await fill(page, "password-confirm", "too-short");
    await page.getByTestId("password-submit").click();
    await page.getByTestId("password-error").waitFor(UI);
    await fill(page, "password-new", NEW_ADMIN_PASSWORD);
    await fill(page, "password-confirm", NEW_ADMIN_PASSWORD);
    await page.getByTestId("password-submit").click();
    await page.getByTestId("password-changed").waitFor(UI);
    expect(await page.getByTestId("password-changed").textContent()).toContain("1");
    await expect(s.accounts.listAccounts({})).rejects.toMatchObject({ code: Code.Unauthenticated });
    await screenshot(page, "settings");

    // Sign out; the old password no longer works, the new one does.
    await page.getByTestId("sign-out").click();
    await page.waitForURL(/\/admin\/login/, UI);
    await fill(page, "login-username", "admin");
    await fill(page, "login-password", ADMIN_PASSWORD);
    await page.getByTestId("login-submit").click();
    await page.getByTestId("login-error").waitFor(UI);
    await fill(page, "login-password", NEW_ADMIN_PASSWORD);
    await page.getByTestId("login-submit").click();
    await page.waitForURL(/\/admin\/dashboard$/, UI);
    await page.getByTestId("stat-accounts").waitFor(UI);

    // Sign out for good: a deep link now leads to the login page.
    await page.getByTestId("header-sign-out").click();
    await page.waitForURL(/\/admin\/login/, UI);
    await page.goto(`${s.adminUrl}/admin/accounts`);
    await page.waitForURL(/\/admin\/login/, UI);

    expect(errors).toEqual([]);
  }, 180_000);
});

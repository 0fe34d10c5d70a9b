/**
 * The admin UI on a phone (390 × 844, headless Chromium through playwright-core) against the
 * whole stack: every page is reached through the header's menu button, none scrolls sideways, the
 * accounts page shows each account's name, health and "X / Y" concurrency bar on screen and its wait
 * queue card, the API keys page each key's name, state, spend and wait for a free slot, the other lists keep their rows on screen, and the account
 * dialog fits the screen with its body scrolling. Accounts, keys and the other lists' rows are created
 * through the admin API. Screenshots land in test-artifacts/admin-ui-mobile/.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService, ModelAliasService, NotificationFormat, NotificationService, ServiceTokenService } from "@claude-relay/proto/admin";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, startStack, type Stack } from "./support/stack.js";

const CHROMIUM = "/usr/bin/chromium";
const ADMIN_PASSWORD = "e2e-admin-password-123";
const PHONE = { width: 390, height: 844 };
const artifacts = join(repoRoot, "test-artifacts", "admin-ui-mobile");
const UI = { timeout: 15_000 };

let stack: Stack | undefined;
let context: BrowserContext | undefined;
let profileDir: string | undefined;

/** Rows for the lists the stack does not fill itself: a model alias, a service token, a notification target. */
async function fillOtherLists(adminUrl: string): Promise<void> {
  const auth = createClient(AuthService, createConnectTransport({ baseUrl: adminUrl, httpVersion: "1.1" }));
  const { token } = await auth.login({ username: "admin", password: ADMIN_PASSWORD });
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  const transport = createConnectTransport({ baseUrl: adminUrl, httpVersion: "1.1", interceptors: [bearer] });
  await createClient(ModelAliasService, transport).setModelAlias({ alias: "phone-alias", targetModel: "claude-sonnet-4-5" });
  await createClient(ServiceTokenService, transport).createServiceToken({ name: "phone-token", scopes: ["read"] });
  await createClient(NotificationService, transport).createNotificationTarget({
    name: "phone-hook",
    url: "https://hooks.example.com/relay",
    format: NotificationFormat.GENERIC,
    enabled: true,
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-test-deps.sh (it installs chromium)`);
  if (!existsSync(join(repoRoot, "services/admin-ui/dist/index.html"))) {
    throw new Error("services/admin-ui/dist is missing: run `npm run build` first (npm test does)");
  }
  await mkdir(artifacts, { recursive: true });
  stack = await startStack({ accounts: 2, maxConcurrentTasks: 3 });
  await stack.apiKeys.createApiKey({ name: "phone-key", concurrencyLimit: 2 });
  await fillOtherLists(stack.adminUrl);

  // One request through the relay: a session, usage for the dashboard's tables, spend on the stack's key.
  const relayed = await fetch(`${stack.relayUrl}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": stack.clientKey, "anthropic-version": "2023-06-01", "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "hello from a phone" }] }),
  });
  expect(relayed.status).toBe(200);
  await relayed.arrayBuffer();

  profileDir = await mkdtemp(join(tmpdir(), "claude-relay-chromium-"));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
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
}, 90_000);

afterAll(async () => {
  await context?.close();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
  await stack?.stop();
});

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/** Fills an Element Plus input found by its form item's test id. */
async function fill(page: Page, testId: string, value: string): Promise<void> {
  await page.getByTestId(testId).locator("input").first().fill(value);
}

/** How far the page scrolls sideways; 0 when it fits the screen. */
function sidewaysOverflow(page: Page): Promise<number> {
  return page.evaluate<number>("(() => { const root = document.scrollingElement ?? document.documentElement; return root.scrollWidth - root.clientWidth; })()");
}

/**
 * Asserts the element is on screen: inside the viewport's width once scrolled to, and the topmost thing
 * at its centre (so no ancestor clips it and nothing covers it).
 */
async function expectOnScreen(target: Locator, what: string): Promise<void> {
  await settled(target.page());
  await target.scrollIntoViewIfNeeded(UI);
  const box = await target.boundingBox();
  expect(box, what).not.toBeNull();
  if (!box) return;
  expect(box.width, `${what} has a width`).toBeGreaterThan(0);
  expect(box.x, `${what} starts on screen`).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, `${what} ends on screen`).toBeLessThanOrEqual(PHONE.width + 0.5);
  const covered = await target.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const top = el.ownerDocument.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (top !== null && (el === top || el.contains(top))) return "";
    return top === null ? "nothing" : `${top.tagName.toLowerCase()}.${[...top.classList].join(".")}`;
  });
  expect(covered, `${what} is the topmost element at its centre`).toBe("");
}

/** A card (table row) holding `text` in the given test id. */
function rowWith(page: Page, testId: string, text: string): Locator {
  return page.locator(".el-table__body-wrapper .el-table__row").filter({ has: page.getByTestId(testId).getByText(text, { exact: true }) });
}

/** Opens the header's menu, picks a page from the drawer, and waits for the drawer to close. */
async function navigate(page: Page, testId: string, path: string, shot?: string): Promise<void> {
  await page.getByTestId("nav-menu-button").click();
  const drawer = page.locator(".nav-drawer");
  await drawer.waitFor({ state: "visible", ...UI });
  // Slid in, it lies on the screen.
  await expect.poll(async () => (await drawer.boundingBox())?.x, UI).toBe(0);
  expect((await drawer.boundingBox())?.width).toBeLessThanOrEqual(PHONE.width);
  if (shot) await page.screenshot({ path: join(artifacts, `${shot}.png`) });
  await page.getByTestId(testId).click();
  await page.waitForURL(new RegExp(`/admin${path}$`), UI);
  await drawer.waitFor({ state: "hidden", ...UI });
}

/** Waits until no loading mask covers anything. */
async function settled(page: Page): Promise<void> {
  await expect.poll(() => page.locator(".el-loading-mask").filter({ visible: true }).count(), UI).toBe(0);
}

/** Waits for the page's loading masks to go, then asserts nothing scrolls sideways and takes a screenshot. */
async function checkPage(page: Page, name: string): Promise<void> {
  await settled(page);
  expect(await sidewaysOverflow(page), `${name} scrolls sideways`).toBeLessThanOrEqual(0);
  await screenshot(page, name);
}

describe("the admin UI on a phone", () => {
  it("fits every page, its key fields and a dialog on a 390 px screen, navigated by the menu", async () => {
    const s = stack as Stack;
    const page = await (context as BrowserContext).newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));

    await page.goto(`${s.adminUrl}/admin/`);
    await page.waitForURL(/\/admin\/login/, UI);
    await checkPage(page, "login");
    await fill(page, "login-username", "admin");
    await fill(page, "login-password", ADMIN_PASSWORD);
    await page.getByTestId("login-submit").click();
    await page.waitForURL(/\/admin\/dashboard$/, UI);

    // No sidebar on a phone: the header's menu button is the way around.
    expect(await page.locator(".aside").count()).toBe(0);
    await expectOnScreen(page.getByTestId("nav-menu-button"), "the menu button");
    await expectOnScreen(page.getByTestId("header-sign-out"), "the sign-out button");

    // The dashboard: its stat cards and the usage tables' rows.
    await expect.poll(() => page.getByTestId("stat-requests").getByTestId("stat-value").textContent(), UI).toBe("1");
    await page.getByTestId("top-keys").getByText("e2e", { exact: true }).waitFor(UI);
    await expectOnScreen(page.getByTestId("stat-requests"), "the requests card");
    await expectOnScreen(page.getByTestId("top-keys").getByTestId("top-name").first(), "the top key's name");
    await expectOnScreen(page.getByTestId("top-accounts").getByTestId("top-name").first(), "the top account's name");
    await checkPage(page, "dashboard");

    // Accounts: every account's name, health and "X / Y" concurrency bar on screen.
    await navigate(page, "nav-accounts", "/accounts", "menu");
    for (const name of ["account-1", "account-2"]) {
      const card = rowWith(page, "account-name", name);
      await card.waitFor(UI);
      await expectOnScreen(card.getByTestId("account-name"), `${name}'s name`);
      await expectOnScreen(card.getByTestId("health-tag"), `${name}'s health`);
      expect(await card.getByTestId("health-tag").getAttribute("data-health")).toBe("healthy");
      await expectOnScreen(card.getByTestId("concurrency-bar"), `${name}'s concurrency bar`);
      expect(await card.getByTestId("concurrency-text").textContent()).toBe("0 / 3");
      await expectOnScreen(card.getByTestId("edit-account"), `${name}'s edit button`);
    }
    // The wait queue card below the list: its lines and the waits by key and by account, as cards.
    await expectOnScreen(page.getByTestId("wait-queue-card").locator(".el-card__header"), "the wait queue card");
    await expectOnScreen(page.getByTestId("wait-queue-groups"), "the waiting lines");
    await expectOnScreen(page.getByTestId("wait-stats-accounts"), "the waits by account");
    await checkPage(page, "accounts");

    // The account dialog fits the screen; its body scrolls rather than running off it.
    await page.getByTestId("add-account").click();
    const dialog = page.locator(".el-dialog").filter({ visible: true });
    await dialog.waitFor(UI);
    await page.waitForTimeout(400); // the opening animation
    const box = await dialog.boundingBox();
    expect(box).not.toBeNull();
    expect(box?.x ?? -1).toBeGreaterThanOrEqual(0);
    expect((box?.x ?? 0) + (box?.width ?? Number.POSITIVE_INFINITY)).toBeLessThanOrEqual(PHONE.width);
    expect((box?.y ?? 0) + (box?.height ?? Number.POSITIVE_INFINITY)).toBeLessThanOrEqual(PHONE.height);
    const body = await dialog.locator(".el-dialog__body").evaluate((el) => ({
      overflowY: el.ownerDocument.defaultView?.getComputedStyle(el).overflowY,
      sideways: el.scrollWidth - el.clientWidth,
    }));
    expect(body.overflowY).toBe("auto");
    expect(body.sideways).toBeLessThanOrEqual(0);
    await expectOnScreen(page.getByTestId("account-form-name").locator("input"), "the dialog's name input");
    await expectOnScreen(page.getByTestId("account-form-submit"), "the dialog's create button");
    expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    await screenshot(page, "account-dialog");
    // Its last field is reached by scrolling the body.
    await expectOnScreen(page.getByTestId("account-form-max-concurrent").locator("input"), "the dialog's concurrency input");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden", ...UI });

    // API keys: every key's name, state and spend on screen.
    await navigate(page, "nav-api-keys", "/api-keys");
    for (const name of ["e2e", "phone-key"]) {
      const card = page.locator(".el-table__body-wrapper .el-table__row").filter({ hasText: name });
      const nameCell = card.locator("td").first().getByText(name, { exact: true });
      await nameCell.waitFor(UI);
      await expectOnScreen(nameCell, `${name}'s name`);
      await expectOnScreen(card.getByTestId("api-key-state"), `${name}'s state`);
      expect(await card.getByTestId("api-key-state").textContent()).toContain("Active");
      await expectOnScreen(card.getByTestId("api-key-cost-today"), `${name}'s spend today`);
      await expectOnScreen(card.getByTestId("api-key-cost-total"), `${name}'s total spend`);
      await expectOnScreen(card.getByTestId("api-key-queue-wait"), `${name}'s wait for a free slot`);
    }
    await expect.poll(() => page.locator(".el-table__body-wrapper .el-table__row").filter({ hasText: "e2e" }).getByTestId("api-key-cost-today").textContent(), UI).toMatch(/\$0\.\d*[1-9]/);
    await checkPage(page, "api-keys");

    await navigate(page, "nav-model-aliases", "/model-aliases");
    const alias = rowWith(page, "model-alias-name", "phone-alias");
    await alias.waitFor(UI);
    await expectOnScreen(alias.getByTestId("model-alias-name"), "the alias");
    await expectOnScreen(alias.getByTestId("model-alias-target"), "the alias's target");
    await expectOnScreen(alias.getByTestId("edit-model-alias"), "the alias's edit button");
    await checkPage(page, "model-aliases");

    // The prices page: its seeded list, as cards, without sideways scrolling.
    await navigate(page, "nav-prices", "/prices");
    await page.locator(".page-head h2").waitFor(UI);
    await checkPage(page, "prices");

    await navigate(page, "nav-sessions", "/sessions");
    const session = page.locator(".el-table__body-wrapper .el-table__row").first();
    await session.getByTestId("session-status").waitFor(UI);
    await expectOnScreen(session.getByTestId("session-hash"), "the session");
    await expectOnScreen(session.getByTestId("session-status"), "the session's status");
    await expectOnScreen(session.getByTestId("session-account"), "the session's account");
    await expectOnScreen(session.getByTestId("unbind-session"), "the session's unbind button");
    await checkPage(page, "sessions");

    await navigate(page, "nav-connect", "/connect");
    await page.getByTestId("snippet-claude-code").waitFor(UI);
    await checkPage(page, "connect");

    await navigate(page, "nav-service-tokens", "/service-tokens");
    const token = rowWith(page, "service-token-name", "phone-token");
    await token.waitFor(UI);
    await expectOnScreen(token.getByTestId("service-token-name"), "the token's name");
    await expectOnScreen(token.getByTestId("service-token-state"), "the token's state");
    await expectOnScreen(token.getByTestId("revoke-service-token"), "the token's revoke button");
    await checkPage(page, "service-tokens");

    await navigate(page, "nav-notifications", "/notifications");
    const target = rowWith(page, "notification-name", "phone-hook");
    await target.waitFor(UI);
    await expectOnScreen(target.getByTestId("notification-name"), "the target's name");
    await expectOnScreen(target.getByTestId("notification-state"), "the target's state");
    await expectOnScreen(target.getByTestId("delete-notification"), "the target's delete button");
    await checkPage(page, "notifications");

    await navigate(page, "nav-audit", "/audit");
    const event = page.locator(".el-table__body-wrapper .el-table__row").first();
    await event.getByTestId("audit-action").waitFor(UI);
    await expectOnScreen(event.getByTestId("audit-action"), "the event's action");
    await expectOnScreen(event.getByTestId("audit-outcome"), "the event's outcome");
    await checkPage(page, "audit");

    await navigate(page, "nav-settings", "/settings");
    await page.getByTestId("sign-out").waitFor(UI);
    await checkPage(page, "settings");

    // Back to the accounts through the menu, in Chinese: the cards keep their fields and column names.
    await page.locator("header").getByTestId("language-switch").click();
    await page.getByRole("option", { name: "简体中文" }).click();
    await navigate(page, "nav-accounts", "/accounts");
    const card = rowWith(page, "account-name", "account-1");
    await card.waitFor(UI);
    await expectOnScreen(card.getByTestId("concurrency-bar"), "account-1's concurrency bar in Chinese");
    await expect.poll(() => card.locator("td").nth(1).getAttribute("data-label"), UI).toBe("健康状态");
    await checkPage(page, "accounts-zh-CN");

    expect(errors).toEqual([]);
  }, 180_000);
});

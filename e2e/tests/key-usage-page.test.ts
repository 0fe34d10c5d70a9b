/**
 * A key holder's view of their own key, against the whole stack: three requests with a key go
 * through the relay to the mock upstream; GET /v1/key/usage on the relay answers their usage and the
 * key's limits as JSON and refuses a wrong key with a 401 that says nothing more; and the control
 * plane's /stats page, in headless Chromium (playwright-core) at phone width, shows the same numbers
 * once the key is pasted, and an error and no data for a wrong key. Screenshots land in
 * test-artifacts/key-usage-page/.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, startStack, type Stack } from "./support/stack.js";

const CHROMIUM = "/usr/bin/chromium";
const PHONE = { width: 390, height: 844 };
const artifacts = join(repoRoot, "test-artifacts", "key-usage-page");
const UI = { timeout: 15_000 };
/** What the mock answers each request: claude-sonnet-4-5 at $3 / $15 per million tokens, so $0.03 + $0.03. */
const USAGE = { input_tokens: 10_000, output_tokens: 2_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
const REQUESTS = 3;

/** The parts of the report (KeyUsageReport in the control plane) these tests read. */
interface Totals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUsd: number;
}
interface Report {
  key: { name: string; prefix: string };
  allowedModels: string[];
  limits: Record<string, unknown>;
  usage: { today: Totals; thisWeek: Totals; total: Totals; byModel: (Totals & { model: string })[] };
}

let stack: Stack | undefined;
let context: BrowserContext | undefined;
let profileDir: string | undefined;
let key = "";
let keyId = "";

/** Polls `read` until `done` holds, for up to 10 s. */
async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-test-deps.sh (it installs chromium)`);
  await mkdir(artifacts, { recursive: true });
  stack = await startStack({ accounts: 1 });
  const created = await stack.apiKeys.createApiKey({
    name: "holder-key",
    concurrencyLimit: 3,
    allowedModels: ["claude-sonnet-*"],
    rateLimit: { windowSeconds: 3_600, maxRequests: 100 },
    costLimits: { dailyUsd: 5 },
  });
  key = created.plaintextKey;
  keyId = created.apiKey?.id ?? "";

  for (let i = 0; i < REQUESTS; i++) {
    stack.mock.enqueue({ kind: "message", model: "claude-sonnet-4-5", usage: USAGE });
    const res = await fetch(`${stack.relayUrl}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: `request ${i}` }] }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
  // Usage is written with each Release, which follows the answer: wait for the admin API to count all three.
  const s = stack;
  const counted = await pollUntil(
    async () => (await s.usage.getDailyUsage({ subject: { subject: { case: "keyId", value: keyId } } })).total?.requests ?? 0n,
    (requests) => requests === BigInt(REQUESTS),
  );
  expect(counted).toBe(BigInt(REQUESTS));

  profileDir = await mkdtemp(join(tmpdir(), "claude-relay-chromium-"));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
}, 90_000);

afterAll(async () => {
  await context?.close();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
  await stack?.stop();
});

describe("GET /v1/key/usage on the relay", () => {
  it("answers the key's usage and limits as JSON, for x-api-key and Bearer alike", async () => {
    const s = stack as Stack;
    const ways: Record<string, string>[] = [{ "x-api-key": key }, { authorization: `Bearer ${key}` }];
    for (const headers of ways) {
      const res = await fetch(`${s.relayUrl}/v1/key/usage`, { headers });
      expect(res.status).toBe(200);
      const report = (await res.json()) as Report;
      expect(report.key).toMatchObject({ name: "holder-key", prefix: key.slice(0, 7) });
      for (const period of [report.usage.today, report.usage.thisWeek, report.usage.total]) {
        expect(period).toMatchObject({ requests: REQUESTS, inputTokens: 30_000, outputTokens: 6_000, totalTokens: 36_000 });
        expect(period.costUsd).toBeCloseTo(0.18, 9);
      }
      expect(report.usage.byModel).toEqual([expect.objectContaining({ model: "claude-sonnet-4-5", requests: REQUESTS })]);
      expect(report.limits.concurrency).toEqual({ limit: 3, used: 0, remaining: 3 });
      expect(report.limits.requests).toEqual({ limit: 100, used: REQUESTS, remaining: 97, windowSeconds: 3_600 });
      expect(report.limits.dailyCostUsd).toMatchObject({ limit: 5, remaining: 4.82 });
      expect(report.allowedModels).toEqual(["claude-sonnet-*"]);
      // Nothing about the pool: the account and its upstream key appear nowhere.
      const text = JSON.stringify(report);
      for (const hidden of [s.upstreamKey, "account-1", keyId]) expect(text).not.toContain(hidden);
    }
  });

  it("refuses a wrong key with a 401 whose body holds the error and nothing else", async () => {
    const s = stack as Stack;
    const res = await fetch(`${s.relayUrl}/v1/key/usage`, { headers: { "x-api-key": `${key.slice(0, -4)}AAAA` } });
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body).toEqual({ type: "error", error: { type: "authentication_error", message: "invalid x-api-key" }, request_id: res.headers.get("request-id") });
  });
});

describe("the /stats page in Chromium", () => {
  async function open(): Promise<Page> {
    const page = await (context as BrowserContext).newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    page.on("console", (msg) => {
      // A Content-Security-Policy violation shows up here; the page must run under its own policy.
      if (msg.type() === "error" && /Content Security Policy|Refused to/i.test(msg.text())) errors.push(msg.text());
    });
    await page.goto(`${(stack as Stack).adminUrl}/stats`);
    (page as Page & { errors?: string[] }).errors = errors;
    return page;
  }

  const text = (page: Page, id: string) => page.locator(`#${id}`).textContent();

  it("shows a pasted key's usage today, this week and in total, its limits with what is left, and its models", async () => {
    const page = await open();
    await page.locator("#key").fill(key);
    await page.locator("#submit").click();
    await page.locator("#report").waitFor({ state: "visible", ...UI });

    expect(await text(page, "key-name")).toBe("holder-key");
    for (const period of ["today", "week", "total"]) {
      expect(await text(page, `${period}-requests`)).toBe("3");
      expect(await text(page, `${period}-tokens`)).toBe("36,000");
      expect(await text(page, `${period}-cost`)).toBe("$0.18");
    }
    // Each limit the key has: used, its value, what is left.
    const limit = async (name: string) => {
      const block = page.locator(`#limits [data-limit="${name}"]`);
      return Promise.all(["used", "max", "left"].map((part) => block.locator(`.${part}`).textContent()));
    };
    expect(await limit("concurrency")).toEqual(["0", "3", "3"]);
    expect(await limit("requests")).toEqual(["3", "100", "97"]);
    expect(await limit("dailyCostUsd")).toEqual(["$0.18", "$5.00", "$4.82"]);
    expect(await page.locator("#limits [data-limit]").count()).toBe(3);
    expect(await text(page, "models")).toBe("claude-sonnet-*");
    expect(await text(page, "expiry")).toBe("Never");
    expect(await page.locator("#by-model tr").first().locator("td").allTextContents()).toEqual(["claude-sonnet-4-5", "3", "36,000", "$0.18"]);
    expect(await page.locator("#by-day tr").count()).toBe(1);

    // At phone width nothing scrolls sideways; wide tables scroll inside their own box.
    const overflow = await page.evaluate<number>("(() => { const root = document.scrollingElement ?? document.documentElement; return root.scrollWidth - root.clientWidth; })()");
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(artifacts, "report.png"), fullPage: true });
    // The key went in a header, never into the page's address.
    expect(page.url()).toBe(`${(stack as Stack).adminUrl}/stats`);
    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
    await page.close();
  });

  it("shows an error and no data for a wrong key, also after a right one", async () => {
    const page = await open();
    await page.locator("#key").fill(key);
    await page.locator("#submit").click();
    await page.locator("#report").waitFor({ state: "visible", ...UI });

    await page.locator("#key").fill(`${key}-wrong`);
    await page.locator("#submit").click();
    await page.locator("#error").waitFor({ state: "visible", ...UI });
    expect(await text(page, "error")).toBe("invalid x-api-key");
    expect(await page.locator("#report").isHidden()).toBe(true);
    for (const id of ["key-name", "today-requests", "total-cost", "models"]) expect(await text(page, id)).toBe("");
    expect(await page.locator("#limits *, #by-model tr, #by-day tr").count()).toBe(0);
    await page.screenshot({ path: join(artifacts, "wrong-key.png"), fullPage: true });
    await page.close();
  });
});

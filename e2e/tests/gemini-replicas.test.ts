/**
 * Gemini accounts under two control-plane processes on one Redis, each with a relay of its own in
 * front of it, all built processes against the mock Google upstream.
 *
 * OAuth refresh is single-flight across replicas: a Google sign-in account whose access token is
 * due, and many requests at once through both relays, cost exactly one refresh at the token
 * endpoint; once the new token is stored, it is the only one that goes upstream.
 *
 * A 429 RESOURCE_EXHAUSTED sets the API key that got it aside: until its RetryInfo delay, or, for a
 * per-day quota without one, until the next midnight in California. The request itself is failed
 * over to the next account, the state is the same through either control plane's admin API, and
 * the account gets nothing until then or until an admin resets it.
 */
import { AccountHealth, AccountType, type Account } from "@claude-relay/proto/admin";
import { DEFAULT_MOCK_GOOGLE_ACCOUNT, type RecordedGeminiRequest } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClientKey, createGeminiOAuthAccount, type GeminiStack, pollUntil, startGeminiReplica, startGeminiStack } from "./support/gemini-stack.js";
import type { Replica } from "./support/stack.js";

const MODEL = "gemini-2.5-pro";
/** Requests fired at once in each burst, half through each relay. */
const BURST = 40;
/** The relay holds a due token back and waits for its refresh when it has less life left than this (acquire-lease.ts). */
const WAIT_FOR_REFRESH_BELOW_MS = 60_000;
/** How long the mock's token endpoint takes to answer the refresh. */
const TOKEN_ENDPOINT_DELAY_MS = 500;
const SECOND_GOOGLE_ACCOUNT = { refreshToken: "1//mock-refresh-token-2", projectId: "mock-project-2" };
const KEY_A = "AIza-e2e-gemini-replicas-key-A";
const KEY_B = "AIza-e2e-gemini-replicas-key-B";

let stack: GeminiStack;
let second: Replica;
/** The two relays; relay i calls control plane i only. */
let relays: string[] = [];

beforeAll(async () => {
  // Two Google accounts: the first with its defaults, the second numbered (mock-gemini-accounts.ts).
  stack = await startGeminiStack({ mock: { apiKeys: [KEY_A, KEY_B], accounts: [{}, {}] } });
  second = await startGeminiReplica(stack);
  relays = [stack.relayUrl, second.relayUrl];
}, 60_000);

afterAll(async () => {
  await second?.stop();
  await stack?.stop();
});

interface Answer {
  relay: number;
  status: number;
  text: string;
}

let sent = 0;

/** One generateContent through relay `relay`, with a prompt no other request has (so no sticky session is shared). */
async function generate(relay: number, key: string): Promise<Answer> {
  const res = await fetch(`${relays[relay]}/v1beta/models/${MODEL}:generateContent`, {
    method: "POST",
    headers: { "x-goog-api-key": key, "content-type": "application/json" },
    body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: `request ${++sent}` }] }] }),
  });
  return { relay, status: res.status, text: await res.text() };
}

/** `n` requests at once, alternating between the relays. */
function burst(key: string, n = BURST): Promise<Answer[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => generate(i % 2, key)));
}

function expectAllServed(answers: Answer[]): void {
  const failed = answers.filter((a) => a.status !== 200).map((a) => `relay ${a.relay}: ${a.status} ${a.text.slice(0, 300)}`);
  expect(failed).toEqual([]);
  for (const answer of answers) expect(JSON.parse(answer.text)).toHaveProperty("candidates");
}

function ms(timestamp: { seconds: bigint; nanos: number } | undefined): number {
  return timestamp === undefined ? 0 : Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1e6);
}

async function account(id: string, via: Replica | GeminiStack = stack): Promise<Account> {
  const { account } = await via.admin.accounts.getAccount({ id });
  if (!account) throw new Error(`GetAccount answered without account ${id}`);
  return account;
}

const sleep = (delayMs: number) => new Promise((resolve) => setTimeout(resolve, delayMs));

describe("a Google sign-in account whose token is due, behind two control planes", () => {
  /** Generation calls the mock received since `from`, and the token endpoint's answers. */
  function upstreamSince(from: number): { generation: RecordedGeminiRequest[]; issued: string[] } {
    const seen = stack.mock.requests.slice(from);
    const issued = seen.filter((r) => r.operation === "token" && r.status === 200).map((r) => (JSON.parse(r.responseBody.toString("utf8")) as { access_token: string }).access_token);
    return { generation: seen.filter((r) => r.operation === "generateContent"), issued };
  }

  /**
   * Failed refreshes either control plane logged (at warn, the level the processes run at). A replica
   * that refreshed a token another was refreshing would find it spent and mark the account unauthorized,
   * even if the other's success lifted that again a moment later.
   */
  function refreshFailures(): string[] {
    return [stack.controlPlane, second.controlPlane].flatMap((p) => p.output.join("").split("\n")).filter((line) => /refresh failed/i.test(line));
  }

  it("is refreshed once for a burst through both relays that must wait for it, and only the new token goes upstream", async () => {
    const { refreshToken, projectId } = DEFAULT_MOCK_GOOGLE_ACCOUNT;
    // A token the mock still accepts, so an upstream call with it would succeed and show up below.
    const oldToken = stack.mock.issueAccessToken(refreshToken, 600);
    // Just over a minute of life: account setup keeps it (it refreshes only tokens with less than a
    // minute left), and a few seconds later it is too close to expiry to hand out, so every Acquire waits.
    const expiresAtMs = (Math.floor(Date.now() / 1000) + 63) * 1000;
    const created = await createGeminiOAuthAccount(stack, "due-now", 0, { accessToken: oldToken, refreshToken, projectId, expiresAtMs });
    expect(stack.mock.refreshCount(refreshToken)).toBe(0);
    expect(ms(created.tokenExpiresAt)).toBe(expiresAtMs);
    const { key } = await createClientKey(stack, "due-now", created.id);
    await sleep(Math.max(0, expiresAtMs - WAIT_FOR_REFRESH_BELOW_MS + 500 - Date.now()));

    // A slow token endpoint: both control planes are asked for the account while the one refresh is under way.
    stack.mock.enqueueOn("token", { kind: "ok", delayMs: TOKEN_ENDPOINT_DELAY_MS });
    const from = stack.mock.requests.length;
    const answers = await burst(key);
    expectAllServed(answers);
    expect(answers.filter((a) => a.relay === 1)).toHaveLength(BURST / 2);

    expect(stack.mock.refreshCount(refreshToken)).toBe(1);
    const { generation, issued } = upstreamSince(from);
    expect(issued).toHaveLength(1);
    const newToken = issued[0]!;
    expect(newToken).not.toBe(oldToken);
    expect(generation).toHaveLength(BURST);
    const tokens = new Set(generation.map((r) => r.headers.authorization));
    expect([...tokens]).toEqual([`Bearer ${newToken}`]);
    // Both control planes read the new expiry (about an hour ahead, as the mock grants).
    for (const via of [stack, second]) expect(ms((await account(created.id, via)).tokenExpiresAt)).toBeGreaterThan(Date.now() + 3500_000);
    expect(refreshFailures()).toEqual([]);
  }, 30_000);

  it("is refreshed once in the background while it still has minutes left, and only the new token goes upstream once stored", async () => {
    const { refreshToken, projectId } = SECOND_GOOGLE_ACCOUNT;
    const oldToken = stack.mock.issueAccessToken(refreshToken, 600);
    // Four minutes left: inside the five-minute refresh-ahead window, but long enough to keep serving meanwhile.
    const expiresAtMs = Date.now() + 4 * 60_000;
    const created = await createGeminiOAuthAccount(stack, "due-soon", 0, { accessToken: oldToken, refreshToken, projectId, expiresAtMs });
    expect(stack.mock.refreshCount(refreshToken)).toBe(0);
    const { key } = await createClientKey(stack, "due-soon", created.id);

    stack.mock.enqueueOn("token", { kind: "ok", delayMs: TOKEN_ENDPOINT_DELAY_MS });
    const from = stack.mock.requests.length;
    expectAllServed(await burst(key));
    const stored = await pollUntil(
      async () => ms((await account(created.id, second)).tokenExpiresAt),
      (at) => at > expiresAtMs + 30 * 60_000,
    );
    expect(stored).toBeGreaterThan(expiresAtMs + 30 * 60_000);
    const first = upstreamSince(from);
    expect(first.issued).toHaveLength(1);
    const newToken = first.issued[0]!;
    // While the refresh ran, the old token (still valid) served; nothing else ever did.
    for (const request of first.generation) expect([`Bearer ${oldToken}`, `Bearer ${newToken}`]).toContain(request.headers.authorization);

    const later = stack.mock.requests.length;
    expectAllServed(await burst(key));
    expect(stack.mock.refreshCount(refreshToken)).toBe(1);
    const { generation, issued } = upstreamSince(later);
    expect(issued).toEqual([]);
    expect(generation).toHaveLength(BURST);
    expect([...new Set(generation.map((r) => r.headers.authorization))]).toEqual([`Bearer ${newToken}`]);
    expect((await account(created.id)).health).toBe(AccountHealth.HEALTHY);
    expect(refreshFailures()).toEqual([]);
  }, 30_000);
});

describe("a Gemini API key answered 429 RESOURCE_EXHAUSTED, behind two control planes", () => {
  let accountA: string;
  let accountB: string;
  let clientKey: string;

  beforeAll(async () => {
    const make = async (name: string, apiKey: string, priority: number) => {
      const { account } = await stack.admin.accounts.createAccount({ name, type: AccountType.GEMINI_API, baseUrl: stack.mock.url, apiKey, priority, group: "quota" });
      return account!.id;
    };
    accountA = await make("quota-a", KEY_A, 10);
    accountB = await make("quota-b", KEY_B, 20);
    // Bound to the group, so the sign-in accounts above never serve these requests.
    clientKey = (await stack.admin.apiKeys.createApiKey({ name: "quota", boundGroup: "quota" })).plaintextKey;
  });

  /** Which account (A or B) each Gemini API call since `from` used, with the status the mock gave it. */
  function callsSince(from: number): string[] {
    return stack.mock.requests
      .slice(from)
      .filter((r) => r.api === "gemini")
      .map((r) => `${r.headers["x-goog-api-key"] === KEY_A ? "A" : r.headers["x-goog-api-key"] === KEY_B ? "B" : "?"} ${r.status}`);
  }

  it("fails over to B, sets A aside until the RetryInfo delay, and sends A nothing until its health is reset", async () => {
    let from = stack.mock.requests.length;
    stack.mock.enqueue({ kind: "error", status: 429, quota: "per-minute", retryDelaySeconds: 30 });
    const answer = await generate(0, clientKey);
    const answeredAt = Date.now();
    expectAllServed([answer]);
    expect(callsSince(from)).toEqual(["A 429", "B 200"]);

    // The state is in Redis: the other control plane's admin API reads the same.
    const a = await account(accountA, second);
    expect(a.health).toBe(AccountHealth.RATE_LIMITED);
    expect(a.healthReason).toMatch(/per-minute/);
    expect(Math.abs(ms(a.healthUntil) - (answeredAt + 30_000))).toBeLessThanOrEqual(5_000);
    const listed = (await stack.admin.accounts.listAccounts({})).accounts;
    expect(listed.find((x) => x.id === accountA)).toMatchObject({ health: AccountHealth.RATE_LIMITED, healthReason: a.healthReason });
    expect(ms(listed.find((x) => x.id === accountA)?.healthUntil)).toBe(ms(a.healthUntil));
    expect(listed.find((x) => x.id === accountB)?.health).toBe(AccountHealth.HEALTHY);

    from = stack.mock.requests.length;
    expectAllServed(await burst(clientKey, 12));
    expect(callsSince(from)).toEqual(Array(12).fill("B 200"));

    const reset = await second.admin.accounts.resetAccountHealth({ id: accountA });
    expect(reset.account?.health).toBe(AccountHealth.HEALTHY);
    for (const relay of [0, 1]) {
      from = stack.mock.requests.length;
      expectAllServed([await generate(relay, clientKey)]);
      expect(callsSince(from)).toEqual(["A 200"]);
    }
  }, 30_000);

  it("sets A aside until the next midnight in California for a per-day quota that names no RetryInfo delay", async () => {
    const quotaFailure = {
      "@type": "type.googleapis.com/google.rpc.QuotaFailure",
      violations: [{ quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests", quotaId: "GenerateRequestsPerDayPerProjectPerModel-FreeTier", quotaValue: "100" }],
    };
    let from = stack.mock.requests.length;
    stack.mock.enqueue({ kind: "error", status: 429, quota: "per-day", details: [quotaFailure], message: "You exceeded your current quota, please check your plan and billing details." });
    const answer = await generate(1, clientKey);
    const answeredAt = Date.now();
    expectAllServed([answer]);
    expect(callsSince(from)).toEqual(["A 429", "B 200"]);
    // The script holds: no delay anywhere in what A was told.
    const refusal = stack.mock.requests.slice(from).find((r) => r.status === 429)!.responseBody.toString("utf8");
    expect(refusal).not.toMatch(/RetryInfo|retry in/i);

    const a = await account(accountA);
    expect(a.health).toBe(AccountHealth.RATE_LIMITED);
    expect(a.healthReason).toMatch(/per-day/);
    const until = ms(a.healthUntil);
    expect(until).toBeGreaterThan(answeredAt);
    expect(until - answeredAt).toBeLessThanOrEqual(24 * 3600_000);
    // A midnight on the Los Angeles wall clock (give or take the seconds the relay rounds up), and not today's.
    expect(secondsFromPacificMidnight(until)).toBeLessThanOrEqual(5);
    expect(pacificDate(until + 10_000)).not.toBe(pacificDate(answeredAt));

    from = stack.mock.requests.length;
    expectAllServed(await burst(clientKey, 6));
    expect(callsSince(from)).toEqual(Array(6).fill("B 200"));
  }, 30_000);
});

const pacific = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Los_Angeles", hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });

function pacificParts(at: number): Record<string, string> {
  return Object.fromEntries(pacific.formatToParts(at).map((p) => [p.type, p.value]));
}

/** The day in Los Angeles at `at`, as YYYY-MM-DD. */
function pacificDate(at: number): string {
  const p = pacificParts(at);
  return `${p.year}-${p.month}-${p.day}`;
}

/** How far `at` is from the nearest midnight on the Los Angeles wall clock, in seconds. */
function secondsFromPacificMidnight(at: number): number {
  const p = pacificParts(at);
  const sinceMidnight = Number(p.hour) * 3600 + Number(p.minute) * 60 + Number(p.second);
  return Math.min(sinceMidnight, 24 * 3600 - sinceMidnight);
}

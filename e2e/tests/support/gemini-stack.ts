/**
 * The Gemini scenarios' stack: startCore's built processes (redis-server, control plane, relay)
 * in front of the testkit's mock Google upstream. Every Google endpoint the control plane knows
 * (Gemini API, Code Assist, the token endpoint and its client) points at the mock, so nothing
 * leaves loopback. Accounts and keys are made through the admin API as an operator would make
 * them, and what the system recorded is read back through the admin API (usage) and the relay's
 * operator port's /metrics (requests by route and status).
 */
import { type Account, AccountType, type UsageCounters } from "@claude-relay/proto/admin";
import { DEFAULT_MOCK_GOOGLE_ACCOUNT, DEFAULT_MOCK_OAUTH_CLIENT, type MockGemini, type MockGeminiOptions, startMockGemini } from "@claude-relay/testkit";
import { type Core, type Replica, startCore, startReplica } from "./stack.js";

/** The API key of the Gemini API-key accounts made here; the mock accepts it, and only the relay may send it. */
export const GEMINI_ACCOUNT_API_KEY = "AIza-e2e-gemini-account-key-0001";

/** startCore plus the mock Google upstream. */
export interface GeminiStack extends Core {
  mock: MockGemini;
}

export interface GeminiStackOptions {
  leaseTtlMs?: number;
  mock?: MockGeminiOptions;
  relayEnv?: Record<string, string>;
}

/** Starts the mock Google upstream, then the processes, with the control plane's Google endpoints on the mock. */
export async function startGeminiStack(options: GeminiStackOptions = {}): Promise<GeminiStack> {
  const mock = await startMockGemini({ apiKeys: [GEMINI_ACCOUNT_API_KEY], ...options.mock });
  try {
    const core = await startCore({ leaseTtlMs: options.leaseTtlMs, relayEnv: options.relayEnv, controlPlaneEnv: googleOnMock(mock) });
    return {
      ...core,
      mock,
      async stop() {
        await core.stop();
        await mock.close();
      },
    };
  } catch (err) {
    await mock.close();
    throw err;
  }
}

/** The control plane's Google endpoints and OAuth client, all on the mock. */
function googleOnMock(mock: MockGemini): Record<string, string> {
  return {
    CONTROL_PLANE_GEMINI_API_URL: mock.url,
    CONTROL_PLANE_GEMINI_CODE_ASSIST_URL: mock.url,
    CONTROL_PLANE_GEMINI_OAUTH_AUTHORIZE_URL: `${mock.url}/o/oauth2/v2/auth`,
    CONTROL_PLANE_GEMINI_OAUTH_TOKEN_URL: mock.tokenUrl,
    CONTROL_PLANE_GEMINI_OAUTH_CLIENT_ID: DEFAULT_MOCK_OAUTH_CLIENT.clientId,
    CONTROL_PLANE_GEMINI_OAUTH_CLIENT_SECRET: DEFAULT_MOCK_OAUTH_CLIENT.clientSecret,
  };
}

/**
 * A second control plane on the stack's Redis, configured like the first (Google on the mock), and a
 * relay of its own in front of it. The caller stops it, before the stack.
 */
export function startGeminiReplica(stack: GeminiStack, options: Omit<GeminiStackOptions, "mock"> = {}): Promise<Replica> {
  return startReplica(stack, { leaseTtlMs: options.leaseTtlMs, relayEnv: options.relayEnv, controlPlaneEnv: googleOnMock(stack.mock) });
}

/** A Gemini API-key account on the mock's Gemini API. */
export async function createGeminiApiAccount(stack: GeminiStack, name: string, maxConcurrentTasks = 0): Promise<Account> {
  const { account } = await stack.admin.accounts.createAccount({
    name,
    type: AccountType.GEMINI_API,
    baseUrl: stack.mock.url,
    apiKey: GEMINI_ACCOUNT_API_KEY,
    maxConcurrentTasks,
  });
  if (!account) throw new Error("CreateAccount answered without an account");
  return account;
}

/** The Google tokens and project a gemini-oauth account is made with. */
export interface GoogleSignIn {
  accessToken: string;
  refreshToken: string;
  projectId: string;
  /** When the access token expires, in epoch ms (whole seconds are kept). */
  expiresAtMs: number;
}

/**
 * A Google sign-in account on the mock's Code Assist API, with the mock's first Google account's
 * tokens (the access token valid for an hour) and project unless `signIn` names others, and the
 * mock's token endpoint.
 */
export async function createGeminiOAuthAccount(stack: GeminiStack, name: string, maxConcurrentTasks = 0, signIn?: GoogleSignIn): Promise<Account> {
  const google = signIn ?? { ...DEFAULT_MOCK_GOOGLE_ACCOUNT, expiresAtMs: Date.now() + 3600_000 };
  const { account } = await stack.admin.accounts.createAccount({
    name,
    type: AccountType.GEMINI_OAUTH,
    baseUrl: stack.mock.url,
    tokenUrl: stack.mock.tokenUrl,
    projectId: google.projectId,
    oauth: {
      accessToken: google.accessToken,
      refreshToken: google.refreshToken,
      expiresAt: { seconds: BigInt(Math.floor(google.expiresAtMs / 1000)), nanos: 0 },
    },
    maxConcurrentTasks,
  });
  if (!account) throw new Error("CreateAccount answered without an account");
  return account;
}

/** A client key for the relay, optionally served only by one account; returns its id and the key. */
export async function createClientKey(stack: Core, name: string, boundAccountId = ""): Promise<{ id: string; key: string }> {
  const { apiKey, plaintextKey } = await stack.admin.apiKeys.createApiKey({ name, boundAccountId });
  if (!apiKey) throw new Error("CreateApiKey answered without a key");
  return { id: apiKey.id, key: plaintextKey };
}

/** Counters that are all zero, for a subject nothing was recorded for yet. */
const NOTHING = { requests: 0n, inputTokens: 0n, outputTokens: 0n, cacheCreationInputTokens: 0n, cacheReadInputTokens: 0n, costUsd: 0, unpricedRequests: 0n };

/** Today's usage of one client key. */
export async function keyUsageToday(stack: Core, keyId: string): Promise<UsageCounters | typeof NOTHING> {
  const { total } = await stack.admin.usage.getDailyUsage({ subject: { subject: { case: "keyId", value: keyId } } });
  return total ?? NOTHING;
}

/** Reads until `done` holds for the value or the time is up; returns the last value read either way. */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `relay_requests_total` from the relay's /metrics (its operator port), as "route status" → count. */
export async function relayRequestCounts(relayMetricsUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${relayMetricsUrl}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const match of text.matchAll(/^relay_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...(match[1] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    counts.set(`${labels.route} ${labels.status}`, Number(match[2]));
  }
  return counts;
}

/** How many more requests a route answered with each status between two readings of relayRequestCounts. */
export function countsSince(before: Map<string, number>, after: Map<string, number>, route: string): Map<string, number> {
  const added = new Map<string, number>();
  for (const [key, value] of after) {
    const [name, status] = key.split(" ");
    if (name !== route || status === undefined) continue;
    const grown = value - (before.get(key) ?? 0);
    if (grown > 0) added.set(status, grown);
  }
  return added;
}

/** Token counts as the relay reports them from Gemini's usageMetadata. */
export interface GeminiTokens {
  input: number;
  output: number;
  cacheRead: number;
}

/**
 * The tokens of one answer the mock sent, read from its last usageMetadata (every stream chunk
 * carries one; the last holds the totals): input = prompt − cached, output = candidates + thoughts.
 * Code Assist's `{"response": …}` envelope is looked through. Zeros when the answer has none.
 */
export function tokensOfAnswer(body: Buffer): GeminiTokens {
  const text = body.toString("utf8");
  let objects: unknown[] = [];
  if (/^data:/m.test(text)) {
    objects = text
      .split(/\r\n|\r|\n/)
      .filter((line) => line.startsWith("data:"))
      .flatMap((line) => tryParse(line.slice(5).trim()));
  } else {
    const parsed = tryParse(text);
    objects = parsed.flatMap((value) => (Array.isArray(value) ? value : [value]));
  }
  let usage: Record<string, number> | undefined;
  for (const object of objects) {
    const inner = (object as { response?: unknown }).response ?? object;
    const metadata = (inner as { usageMetadata?: Record<string, number> }).usageMetadata;
    if (metadata) usage = metadata;
  }
  const prompt = usage?.promptTokenCount ?? 0;
  const cached = usage?.cachedContentTokenCount ?? 0;
  return { input: Math.max(0, prompt - cached), output: (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0), cacheRead: cached };
}

function tryParse(text: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch {
    return [];
  }
}

/** Sums token counts. */
export function sumTokens(all: GeminiTokens[]): GeminiTokens {
  return all.reduce((sum, t) => ({ input: sum.input + t.input, output: sum.output + t.output, cacheRead: sum.cacheRead + t.cacheRead }), { input: 0, output: 0, cacheRead: 0 });
}

/**
 * gemini-2.5-pro's list price in US dollars per million tokens (prompts up to 200k tokens), as the
 * control plane's price table has it; thinking tokens are billed as output.
 */
export const GEMINI_25_PRO_PRICE = { input: 1.25, output: 10, cacheRead: 0.125 } as const;

/** What `tokens` cost on gemini-2.5-pro at list price. */
export function gemini25ProCost(tokens: GeminiTokens): number {
  return (tokens.input * GEMINI_25_PRO_PRICE.input + tokens.output * GEMINI_25_PRO_PRICE.output + tokens.cacheRead * GEMINI_25_PRO_PRICE.cacheRead) / 1_000_000;
}

/**
 * The OpenAI accounts' scenarios: startCore's built processes in front of the testkit's mock OpenAI
 * upstream, with every OpenAI URL the control plane knows (OAuth, token endpoint, Codex backend, API)
 * on the mock, so nothing leaves loopback. Accounts are made through the admin API as an operator
 * makes them: an API key, or a ChatGPT sign-in pasted as Codex's auth.json.
 */
import { type Account, AccountType } from "@claude-relay/proto/admin";
import { DEFAULT_MOCK_OPENAI_API_KEY, type MockOpenAI, type MockOpenAIOptions, startMockOpenAI } from "@claude-relay/testkit";
import OpenAI from "openai";
import { type Core, type Replica, startCore, startReplica } from "./stack.js";

/** startCore plus the mock OpenAI upstream. */
export interface OpenAiAccountsStack extends Core {
  mock: MockOpenAI;
}

export interface OpenAiAccountsStackOptions {
  leaseTtlMs?: number;
  mock?: MockOpenAIOptions;
  relayEnv?: Record<string, string>;
  /** Added to the control plane's environment, after the OpenAI endpoints. */
  controlPlaneEnv?: Record<string, string>;
}

/** Starts the mock, then the processes, with the control plane's OpenAI endpoints on the mock. */
export async function startOpenAiAccountsStack(options: OpenAiAccountsStackOptions = {}): Promise<OpenAiAccountsStack> {
  const mock = await startMockOpenAI(options.mock);
  try {
    const core = await startCore({ leaseTtlMs: options.leaseTtlMs, relayEnv: options.relayEnv, controlPlaneEnv: { ...openAiOnMock(mock), ...options.controlPlaneEnv } });
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

/** A second control plane and relay on the stack's Redis, configured like the first. */
export function startOpenAiReplica(stack: OpenAiAccountsStack, options: Omit<OpenAiAccountsStackOptions, "mock"> = {}): Promise<Replica> {
  return startReplica(stack, { leaseTtlMs: options.leaseTtlMs, relayEnv: options.relayEnv, controlPlaneEnv: { ...openAiOnMock(stack.mock), ...options.controlPlaneEnv } });
}

/** Every OpenAI endpoint of the control plane, on the mock. */
function openAiOnMock(mock: MockOpenAI): Record<string, string> {
  return {
    CONTROL_PLANE_OPENAI_OAUTH_AUTHORIZE_URL: `${mock.issuer}/oauth/authorize`,
    CONTROL_PLANE_OPENAI_OAUTH_TOKEN_URL: mock.tokenUrl,
    CONTROL_PLANE_OPENAI_CODEX_URL: mock.codexBaseUrl,
    CONTROL_PLANE_OPENAI_API_URL: mock.apiBaseUrl,
  };
}

/** An OpenAI API-key account on the mock's API. */
export async function createOpenAiApiAccount(stack: OpenAiAccountsStack, name: string, options: { maxConcurrentTasks?: number; apiKey?: string } = {}): Promise<Account> {
  const { account } = await stack.admin.accounts.createAccount({
    name,
    type: AccountType.OPENAI_API,
    baseUrl: stack.mock.apiBaseUrl,
    apiKey: options.apiKey ?? DEFAULT_MOCK_OPENAI_API_KEY,
    maxConcurrentTasks: options.maxConcurrentTasks ?? 0,
  });
  if (!account) throw new Error("CreateAccount answered without an account");
  return account;
}

/** A ChatGPT sign-in account on the mock's Codex backend, added by pasting the mock account's Codex auth.json. */
export async function createChatGptAccount(stack: OpenAiAccountsStack, name: string, options: { maxConcurrentTasks?: number; accountId?: string } = {}): Promise<Account> {
  const { account } = await stack.admin.accounts.createAccount({
    name,
    type: AccountType.OPENAI_OAUTH,
    baseUrl: stack.mock.codexBaseUrl,
    tokenUrl: stack.mock.tokenUrl,
    credentialsJson: stack.mock.authJson(options.accountId),
    maxConcurrentTasks: options.maxConcurrentTasks ?? 0,
  });
  if (!account) throw new Error("CreateAccount answered without an account");
  return account;
}

/** An openai SDK client on the relay's `/openai/v1` with our key, no retries. */
export function relayOpenAi(relayUrl: string, key: string): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${relayUrl}/openai/v1`, maxRetries: 0, timeout: 20_000 });
}

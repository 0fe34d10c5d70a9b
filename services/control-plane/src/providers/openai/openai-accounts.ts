/**
 * The OpenAI provider's account side: API keys (`openai-api`, the OpenAI API
 * or any Responses-compatible base URL) and ChatGPT sign-in (`openai-oauth`,
 * the Codex backend Codex CLI uses). It owns OpenAI's OAuth endpoints, Codex's
 * auth.json, and the setup a ChatGPT sign-in needs before it is stored: a
 * token that is not due, and the ChatGPT account (workspace) id every request
 * names, read from the sign-in's tokens. The email the sign-in carries names
 * an account the admin left unnamed.
 */
import { credentialFromTokens, type OAuthCredential } from "../../accounts/oauth-token-client.js";
import type { AccountProvider, AccountSetupInput, AccountSetupResult } from "../account-provider.js";
import { isChatGptAccountId } from "../account-types.js";
import { chatGptAuthorizeConfig, createChatGptTokenClient, OPENAI_DEFAULTS } from "./chatgpt-oauth.js";
import { chatGptClaims } from "./chatgpt-token-claims.js";
import { parseCodexAuthJson } from "./codex-auth-json.js";
import { openAITestRequest, readOpenAIErrorBody } from "./openai-test-request.js";

/** The model tried on an API key that allows every model (or only wildcards). */
export const OPENAI_TEST_MODEL = "gpt-4.1-mini";
/** The model tried on a ChatGPT sign-in: one the Codex backend serves on every plan. */
export const CHATGPT_TEST_MODEL = "gpt-5";
/** A token closer than this to its expiry is refreshed before setup uses it. */
const SETUP_FRESHNESS_MS = 60_000;

/** OpenAI's endpoints and client, each overridable (defaults: OPENAI_DEFAULTS). */
export interface OpenAIAccountsConfig {
  authorizeUrl: string;
  tokenUrl: string;
  redirectUri: string;
  clientId: string;
  /** Space-separated. */
  scopes: string;
  /** Default base URL of openai-oauth accounts (the Codex backend). */
  codexUrl: string;
  /** Default base URL of openai-api accounts (the OpenAI API). */
  apiUrl: string;
  now?: () => number;
}

/** The OpenAI provider. */
export function createOpenAIAccountProvider(config: OpenAIAccountsConfig = OPENAI_DEFAULTS): AccountProvider {
  const now = config.now ?? Date.now;
  const tokenClient = (tokenUrl: string) => createChatGptTokenClient({ tokenUrl: tokenUrl || config.tokenUrl, clientId: config.clientId, now });

  /** The ChatGPT account a sign-in names: the pasted file's, its id_token's, its access token's, or the one stored. */
  function accountOf(input: AccountSetupInput, credential: OAuthCredential, idToken: string): { accountId: string; email: string } {
    const fromId = chatGptClaims(idToken);
    const fromAccess = chatGptClaims(credential.accessToken);
    return {
      accountId: input.hints?.chatgptAccountId || fromId.accountId || fromAccess.accountId || (input.chatgptAccountId ?? ""),
      email: fromId.email || fromAccess.email,
    };
  }

  async function setUp(input: AccountSetupInput): Promise<AccountSetupResult> {
    const { type, credential, proxyUrl } = input;
    if (type !== "openai-oauth" || credential.kind !== "oauth") return { ok: true, credential, projectId: input.projectId };
    if (credential.refreshToken === "") return { ok: false, reason: "the sign-in has no refresh token; sign in again" };
    let fresh: OAuthCredential = credential;
    let idToken = input.hints?.idToken ?? "";
    if (fresh.accessToken === "" || fresh.expiresAtMs - now() < SETUP_FRESHNESS_MS) {
      // OpenAI rotates refresh tokens: the new one is stored with the account, the pasted one is spent.
      const refreshed = await tokenClient(input.tokenUrl).refresh(fresh.refreshToken, proxyUrl);
      if (!refreshed.ok) return { ok: false, reason: `the access token could not be refreshed: ${refreshed.reason}` };
      fresh = credentialFromTokens(refreshed.tokens, fresh);
      idToken = refreshed.tokens.idToken ?? idToken;
    }
    const { accountId, email } = accountOf(input, fresh, idToken);
    if (accountId === "") return { ok: false, reason: "the sign-in names no ChatGPT account (no chatgpt_account_id in its tokens)" };
    if (!isChatGptAccountId(accountId)) return { ok: false, reason: "the sign-in's ChatGPT account id is not one" };
    return { ok: true, credential: fresh, projectId: input.projectId, chatgptAccountId: accountId, ...(email !== "" && { suggestedName: email }) };
  }

  return {
    platform: "openai",
    defaultBaseUrls: { "openai-api": config.apiUrl, "openai-oauth": config.codexUrl },
    defaultTestModel: OPENAI_TEST_MODEL,
    defaultTestModels: { "openai-oauth": CHATGPT_TEST_MODEL },
    namesAccounts: ["openai-oauth"],
    testRequest: openAITestRequest,
    readErrorBody: readOpenAIErrorBody,
    oauth: { type: "openai-oauth", tokenClient, flow: { tokens: tokenClient(""), config: chatGptAuthorizeConfig(config) } },
    parseCredentialsFile: parseCodexAuthJson,
    setUp,
  };
}

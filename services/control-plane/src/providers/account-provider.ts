/**
 * What the account side of the control plane (the admin API, the account
 * test, the OAuth refresher) needs from a provider, and the one place the
 * providers are registered. The core asks the registry for the provider of an
 * account's type and never branches on a platform itself: the test request,
 * the OAuth endpoints, a pasted credentials file and the setup an account
 * needs from upstream before it is stored all come from here.
 */
import type { AccountCredential } from "../accounts/account-store.js";
import type { OAuthFlow } from "../accounts/oauth-authorization.js";
import type { OAuthCredential } from "../accounts/oauth-refresh.js";
import type { OAuthTokenClient } from "../accounts/oauth-token-client.js";
import { ACCOUNT_TYPES, PLATFORMS, platformOf, type AccountType, type PlatformName } from "./account-types.js";

/** What TestAccount tries. */
export interface TestRequestInput {
  type: AccountType;
  baseUrl: string;
  credential: AccountCredential;
  model: string;
  /** The account's Code Assist project; "" for none. */
  projectId: string;
  /** The ChatGPT account (workspace) an openai-oauth account names; "" for none. */
  chatgptAccountId?: string;
}

/** One tiny upstream request, ready to send. */
export interface TestRequest {
  url: URL;
  headers: Record<string, string>;
  body: string;
  /**
   * The failure inside a successful (2xx) answer, read to its end: a streamed answer that reports an
   * error event or never completes; undefined when the answer is good. Absent: any 2xx is good.
   */
  failureIn?(text: string): { type: string; message: string } | undefined;
}

/** A provider's OAuth sign-in: the type it adds, its authorization step and its token endpoint. */
export interface ProviderOAuth {
  /** The OAuth account type it signs in. */
  type: AccountType;
  /** The authorize URL and the default token endpoint. */
  flow: OAuthFlow;
  /** A client for the token endpoint at `tokenUrl`; "" for the default. */
  tokenClient(tokenUrl: string): OAuthTokenClient;
}

/** What a sign-in says beyond its tokens (an id_token, a pasted file's account id), for setUp. */
export interface SignInHints {
  /** The OpenID Connect id_token the token endpoint or the pasted file carried. */
  idToken?: string;
  /** The ChatGPT account (workspace) id a pasted file named. */
  chatgptAccountId?: string;
}

/** An account about to be stored (or given new tokens), as setUp sees it. */
export interface AccountSetupInput {
  type: AccountType;
  /** "" for the type's default. */
  baseUrl: string;
  proxyUrl: string;
  /** "" for the platform's default. */
  tokenUrl: string;
  credential: AccountCredential;
  /** "" when the admin named none. */
  projectId: string;
  /** The ChatGPT account the account names already (an update); "" for none. */
  chatgptAccountId?: string;
  /** What the sign-in said beyond its tokens; absent when nothing. */
  hints?: SignInHints;
}

/**
 * The credential and project to store (and, for a ChatGPT sign-in, its account id, and a name for an
 * account the admin left unnamed), or why the account cannot be used.
 */
export type AccountSetupResult =
  | { ok: true; credential: AccountCredential; projectId: string; chatgptAccountId?: string; suggestedName?: string }
  | { ok: false; reason: string };

/** A credentials file pasted instead of tokens, read. */
export type CredentialsFileResult = { ok: true; credential: OAuthCredential; hints?: SignInHints } | { ok: false; reason: string };

/** One provider's account side. */
export interface AccountProvider {
  platform: PlatformName;
  /** Where each of its types sends requests unless the account names a base URL. */
  defaultBaseUrls: Partial<Readonly<Record<AccountType, string>>>;
  /** The model TestAccount asks for when the account allows every model. */
  defaultTestModel: string;
  /** Per-type exceptions to defaultTestModel (the Codex backend serves other models than the API). */
  defaultTestModels?: Partial<Readonly<Record<AccountType, string>>>;
  /** The types whose setup may name an account the admin left unnamed (from the sign-in's email). */
  namesAccounts?: readonly AccountType[];
  /** The tiny request TestAccount sends. */
  testRequest(input: TestRequestInput): TestRequest;
  /** The error type and message in an upstream error body; empty strings when it is not one. */
  readErrorBody(text: string): { type: string; message: string };
  /** Its OAuth sign-in, when it has an OAuth type. */
  oauth?: ProviderOAuth;
  /** Reads a credentials file pasted for an OAuth account; absent when the provider has none. */
  parseCredentialsFile?(text: string): CredentialsFileResult;
  /**
   * What an account of one of its types needs from upstream before it is stored (Gemini OAuth: a
   * fresh token and its Code Assist project); absent when nothing is needed. Secret-free reasons.
   */
  setUp?(input: AccountSetupInput): Promise<AccountSetupResult>;
}

/** Every provider, by account type. */
export interface AccountProviders {
  forType(type: AccountType): AccountProvider;
  /** The OAuth flow of every OAuth type, for createOAuthAuthorization. */
  oauthFlows(): Partial<Record<AccountType, OAuthFlow>>;
  /** The token client that refreshes an account: its provider's, at the account's own token URL when it names one. */
  tokenClient(account: { type: AccountType; tokenUrl: string }): OAuthTokenClient | undefined;
  /** Every type's default base URL. */
  defaultBaseUrls(): Record<AccountType, string>;
}

/** The registry over one provider per platform. */
export function createAccountProviders(providers: Readonly<Record<PlatformName, AccountProvider>>): AccountProviders {
  const all = PLATFORMS.map((p) => providers[p]);
  const forType = (type: AccountType) => providers[platformOf(type)];
  return {
    forType,
    oauthFlows() {
      return Object.fromEntries(all.flatMap((p) => (p.oauth ? [[p.oauth.type, p.oauth.flow]] : [])));
    },
    tokenClient({ type, tokenUrl }) {
      const oauth = forType(type).oauth;
      return oauth?.type === type ? oauth.tokenClient(tokenUrl) : undefined;
    },
    defaultBaseUrls() {
      const types = Object.keys(ACCOUNT_TYPES) as AccountType[];
      return Object.fromEntries(types.map((t) => [t, forType(t).defaultBaseUrls[t] ?? ACCOUNT_TYPES[t].defaultBaseUrl])) as Record<AccountType, string>;
    },
  };
}

/** The model TestAccount tries on an account of `type` that allows every model. */
export function defaultTestModelOf(provider: Pick<AccountProvider, "defaultTestModel" | "defaultTestModels">, type: AccountType): string {
  return provider.defaultTestModels?.[type] ?? provider.defaultTestModel;
}

/**
 * `path` (no leading slash) under the base URL, keeping any path prefix the base URL has. The "./"
 * keeps a first segment with a colon (`v1internal:loadCodeAssist`) from reading as a URL scheme.
 */
export function upstreamUrl(baseUrl: string, path: string): URL {
  return new URL(`./${path}`, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
}

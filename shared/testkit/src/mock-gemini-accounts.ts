/**
 * The Google accounts behind the mock's Code Assist API and token endpoint: who they are, their
 * refresh token, their Code Assist tier and project, whether they are onboarded, and what the mock
 * counted for them (refreshes, requests per model). Tokens and the endpoints are left to
 * mock-gemini-oauth.ts, the Code Assist methods to mock-gemini-code-assist.ts.
 */

/** The Code Assist tiers the mock can put an account in (ids from the CLI's code_assist/types.ts). */
export type MockCodeAssistTier = "free-tier" | "standard-tier" | "legacy-tier";

/** One Google account of the mock; every field has a default. */
export interface MockGoogleAccountOptions {
  email?: string;
  refreshToken?: string;
  /** an access token the mock accepts from the start, without a refresh */
  accessToken?: string;
  /** the Code Assist project: managed by Google on the free tier, the user's own on the standard tier */
  projectId?: string;
  tier?: MockCodeAssistTier;
  /** false: loadCodeAssist reports no current tier until onboardUser runs */
  onboarded?: boolean;
}

/** An account as the mock holds it. */
export interface MockGoogleAccount {
  readonly email: string;
  readonly refreshToken: string;
  readonly projectId: string;
  readonly tier: MockCodeAssistTier;
  onboarded: boolean;
  /** true once revokeRefreshToken ran: every refresh then answers invalid_grant */
  revoked: boolean;
  /** grant_type=refresh_token requests received for this account, refused ones included */
  refreshes: number;
  /** generation requests per model, reported by retrieveUserQuota */
  readonly requestsByModel: Map<string, number>;
}

/** Values of the first account unless told otherwise. */
export const DEFAULT_MOCK_GOOGLE_ACCOUNT = {
  email: "mock-user@example.com",
  refreshToken: "1//mock-refresh-token",
  accessToken: "ya29.mock-access-token",
  projectId: "mock-project-123",
} as const;

/**
 * Makes the accounts (one default account when none are given); `grant` receives each account's
 * pre-issued access token. Accounts after the first get numbered defaults.
 */
export function createMockGoogleAccounts(specs: MockGoogleAccountOptions[] = [{}], grant: (accessToken: string, account: MockGoogleAccount) => void): MockGoogleAccount[] {
  return specs.map((spec, i): MockGoogleAccount => {
    const defaults = i === 0 ? DEFAULT_MOCK_GOOGLE_ACCOUNT : { email: `mock-user-${i + 1}@example.com`, refreshToken: `1//mock-refresh-token-${i + 1}`, accessToken: undefined, projectId: `mock-project-${i + 1}` };
    const account: MockGoogleAccount = {
      email: spec.email ?? defaults.email,
      refreshToken: spec.refreshToken ?? defaults.refreshToken,
      projectId: spec.projectId ?? defaults.projectId,
      tier: spec.tier ?? "free-tier",
      onboarded: spec.onboarded ?? true,
      revoked: false,
      refreshes: 0,
      requestsByModel: new Map(),
    };
    const accessToken = spec.accessToken ?? defaults.accessToken;
    if (accessToken) grant(accessToken, account);
    return account;
  });
}

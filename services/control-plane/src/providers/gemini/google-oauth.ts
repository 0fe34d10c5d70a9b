/**
 * Google sign-in the way the Gemini CLI signs in, as defaults for the
 * configuration: its public installed-app client, its scopes, the page that
 * shows the code to paste, and Google's OAuth endpoints. Sources:
 * - client id, client secret, scopes and the redirect URI of the paste-the-code flow, and the
 *   authorize parameters (`access_type=offline`, PKCE S256): github.com/google-gemini/gemini-cli,
 *   packages/core/src/code_assist/oauth2.ts (`OAUTH_CLIENT_ID`, `OAUTH_CLIENT_SECRET`,
 *   `OAUTH_SCOPE`, `authWithUserCode`). The secret of an installed app is not a secret
 *   (developers.google.com/identity/protocols/oauth2#installed).
 * - the authorize and token endpoints, and the token call's form encoding with the client secret
 *   in the body: google-auth-library, src/auth/oauth2client.ts (`oauth2AuthBaseUrl`,
 *   `oauth2TokenUrl`, `getTokenAsync`, `refreshTokenNoCache`).
 * - the Code Assist base URL: gemini-cli packages/core/src/code_assist/server.ts
 *   (`CODE_ASSIST_ENDPOINT`).
 */
import type { OAuthAuthorizationConfig } from "../../accounts/oauth-authorization.js";

/** Defaults of GeminiAccountsConfig. */
export const GEMINI_DEFAULTS = Object.freeze({
  authorizeUrl: "https://accounts.google.com/o/oauth2/v2/auth",
  tokenUrl: "https://oauth2.googleapis.com/token",
  redirectUri: "https://codeassist.google.com/authcode",
  clientId: "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com",
  clientSecret: "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",
  scopes: ["https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/userinfo.email", "https://www.googleapis.com/auth/userinfo.profile"].join(" "),
  /** Where gemini-oauth accounts send requests (the Code Assist API). */
  codeAssistUrl: "https://cloudcode-pa.googleapis.com",
  /** Where gemini-api accounts send requests (the Gemini API). */
  apiUrl: "https://generativelanguage.googleapis.com",
});

/** The authorize step's settings for a Google sign-in. */
export function googleAuthorizeConfig(config: { authorizeUrl: string; clientId: string; redirectUri: string; scopes: string }): OAuthAuthorizationConfig {
  return {
    authorizeUrl: config.authorizeUrl,
    clientId: config.clientId,
    redirectUri: config.redirectUri,
    scopes: config.scopes,
    extraParams: {
      // A refresh token comes only with offline access (as the Gemini CLI asks).
      access_type: "offline",
      // Google sends a refresh token again for an app already granted only when consent is asked anew
      // (developers.google.com/identity/protocols/oauth2/web-server#offline).
      prompt: "consent",
    },
  };
}

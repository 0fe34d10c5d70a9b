/**
 * The Gemini provider's account side: AI Studio keys (`gemini-api`, the
 * Gemini API) and Google sign-in (`gemini-oauth`, the Code Assist API the
 * Gemini CLI uses). It owns the Google OAuth endpoints (form-encoded token
 * calls with the installed app's client secret), the CLI's credentials file,
 * and the setup a gemini-oauth account needs before it is stored: a fresh
 * access token, and its Code Assist project.
 */
import { credentialFromTokens, createOAuthTokenClient, type OAuthCredential } from "../../accounts/oauth-token-client.js";
import { upstreamUrl, type AccountProvider, type TestRequest, type TestRequestInput } from "../account-provider.js";
import { findCodeAssistProject, type CodeAssistOptions } from "./code-assist-project.js";
import { parseGeminiCliCredentials } from "./gemini-cli-credentials.js";
import { GEMINI_DEFAULTS, googleAuthorizeConfig } from "./google-oauth.js";

/** The model tried when the account allows every model (or only wildcards). */
export const GEMINI_TEST_MODEL = "gemini-2.5-flash";
/** A token closer than this to its expiry is refreshed before setup uses it. */
const SETUP_FRESHNESS_MS = 60_000;
const MAX_MESSAGE_CHARS = 500;

/** Google's endpoints and client, each overridable (defaults: GEMINI_DEFAULTS). */
export interface GeminiAccountsConfig {
  authorizeUrl: string;
  tokenUrl: string;
  redirectUri: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated. */
  scopes: string;
  /** Default base URL of gemini-oauth accounts. */
  codeAssistUrl: string;
  /** Default base URL of gemini-api accounts. */
  apiUrl: string;
  /** Timeouts and polling of the project setup calls. */
  codeAssist?: CodeAssistOptions;
  now?: () => number;
}

/** `maxOutputTokens: 1` to generateContent: the Gemini API's for a key, Code Assist's envelope for a sign-in. */
export function geminiTestRequest({ baseUrl, credential, model, projectId }: TestRequestInput): TestRequest {
  const request = { contents: [{ role: "user", parts: [{ text: "ping" }] }], generationConfig: { maxOutputTokens: 1 } };
  const name = model.replace(/^models\//, "");
  if (credential.kind === "api-key") {
    // The Gemini API's method and key header (ai.google.dev/api/generate-content).
    return {
      url: upstreamUrl(baseUrl, `v1beta/models/${encodeURIComponent(name)}:generateContent`),
      headers: { "content-type": "application/json", "x-goog-api-key": credential.apiKey },
      body: JSON.stringify(request),
    };
  }
  // The Code Assist envelope (gemini-cli, packages/core/src/code_assist/converter.ts: model, project, request).
  return {
    url: upstreamUrl(baseUrl, "v1internal:generateContent"),
    headers: { "content-type": "application/json", authorization: `Bearer ${credential.accessToken}` },
    body: JSON.stringify({ model: name, ...(projectId && { project: projectId }), request }),
  };
}

/**
 * The `error.status` and `error.message` of a Google error body (`{"error":{"code","message","status"}}`,
 * or a one-element array of it as the streaming endpoints send); empty strings when it is not one.
 */
export function readGoogleErrorBody(text: string): { type: string; message: string } {
  try {
    const parsed: unknown = JSON.parse(text);
    const body = (Array.isArray(parsed) ? parsed[0] : parsed) as { error?: { status?: unknown; message?: unknown } } | undefined;
    const type = typeof body?.error?.status === "string" ? body.error.status : "";
    const message = typeof body?.error?.message === "string" ? body.error.message.slice(0, MAX_MESSAGE_CHARS) : "";
    return { type, message };
  } catch {
    return { type: "", message: "" };
  }
}

/** The Gemini provider. */
export function createGeminiAccountProvider(config: GeminiAccountsConfig = GEMINI_DEFAULTS): AccountProvider {
  const now = config.now ?? Date.now;
  const tokenClient = (tokenUrl: string) =>
    createOAuthTokenClient({
      tokenUrl: tokenUrl || config.tokenUrl,
      clientId: config.clientId,
      // Google's token endpoint is a standard one: a form body, the client secret in it (RFC 6749 §2.3.1).
      encoding: "form",
      extraParams: { client_secret: config.clientSecret },
      now,
    });

  return {
    platform: "gemini",
    defaultBaseUrls: { "gemini-api": config.apiUrl, "gemini-oauth": config.codeAssistUrl },
    defaultTestModel: GEMINI_TEST_MODEL,
    testRequest: geminiTestRequest,
    readErrorBody: readGoogleErrorBody,
    oauth: { type: "gemini-oauth", tokenClient, flow: { tokens: tokenClient(""), config: googleAuthorizeConfig(config) } },
    parseCredentialsFile: parseGeminiCliCredentials,

    async setUp(input) {
      const { type, credential, proxyUrl } = input;
      if (type !== "gemini-oauth" || credential.kind !== "oauth") return { ok: true, credential, projectId: input.projectId };
      let fresh: OAuthCredential = credential;
      if (fresh.accessToken === "" || (fresh.expiresAtMs > 0 && fresh.expiresAtMs - now() < SETUP_FRESHNESS_MS)) {
        if (fresh.refreshToken === "") return { ok: false, reason: "the access token has expired and there is no refresh token" };
        // Google keeps the refresh token on a refresh, so trying it here spends nothing.
        const refreshed = await tokenClient(input.tokenUrl).refresh(fresh.refreshToken, proxyUrl);
        if (!refreshed.ok) return { ok: false, reason: `the access token could not be refreshed: ${refreshed.reason}` };
        fresh = credentialFromTokens(refreshed.tokens, fresh);
      }
      if (input.projectId !== "") return { ok: true, credential: fresh, projectId: input.projectId };
      const found = await findCodeAssistProject({ baseUrl: input.baseUrl || config.codeAssistUrl, accessToken: fresh.accessToken, proxyUrl }, config.codeAssist);
      if (!found.ok) return { ok: false, reason: `no Code Assist project found: ${found.reason}` };
      return { ok: true, credential: fresh, projectId: found.projectId };
    },
  };
}

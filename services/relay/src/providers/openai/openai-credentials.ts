/**
 * Where an OpenAI account's credential goes on an upstream request, and the
 * path on its base URL. The client's own OpenAI identity never goes upstream:
 * besides the credentials every provider strips (`authorization`,
 * `x-api-key`, `cookie`), Azure's `api-key`, a `chatgpt-account-id` of the
 * client's and its `openai-organization` / `openai-project` are taken off
 * before the account's are put on.
 *
 * - An OpenAI API key (OPENAI_API): `Authorization: Bearer <key>`; on Azure
 *   OpenAI (a host ending `.openai.azure.com` or `.cognitiveservices.azure.com`)
 *   `api-key: <key>` instead.
 * - A ChatGPT sign-in (OPENAI_OAUTH) on the Codex backend: the access token as
 *   a Bearer token, `chatgpt-account-id`, and the headers Codex itself sends
 *   there (`OpenAI-Beta: responses=experimental`, `originator: codex_cli_rs`)
 *   unless the client, being Codex, sent its own; the client's `session_id`
 *   and `conversation_id` pass as they came.
 */
import { CredentialKind, type UpstreamAccount, UpstreamAccountType } from "@claude-relay/proto/lease";

/** The client headers that name an OpenAI identity of the client's; never sent upstream. */
const CLIENT_IDENTITY_HEADERS = ["api-key", "chatgpt-account-id", "openai-organization", "openai-project"] as const;

/** What Codex sends the Codex backend, for clients that do not. */
const CODEX_DEFAULT_HEADERS: Readonly<Record<string, string>> = {
  "openai-beta": "responses=experimental",
  originator: "codex_cli_rs",
};

/** True for a base URL on Azure OpenAI, which takes the key in `api-key`. */
export function isAzureBaseUrl(baseUrl: string): boolean {
  let host: string;
  try {
    host = new URL(baseUrl).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host.endsWith(".openai.azure.com") || host.endsWith(".cognitiveservices.azure.com");
}

/**
 * The path and query to call on the account's base URL for `endpoint`
 * (`/responses`, `/chat/completions`): the endpoint, then any query the base
 * URL carries (Azure's `api-version`). The base URL's own path is prefixed by
 * buildUpstreamRequest.
 */
export function openAiUpstreamPath(account: Pick<UpstreamAccount, "baseUrl">, endpoint: string): string {
  let search = "";
  try {
    search = new URL(account.baseUrl).search;
  } catch {
    // buildUpstreamRequest refuses the base URL itself.
  }
  return `${endpoint}${search}`;
}

/** Signs `headers` with an OpenAI account's credential; returns why it cannot, or undefined. */
export function signOpenAiRequest(headers: Record<string, string | string[]>, account: Pick<UpstreamAccount, "type" | "credentialKind" | "credential" | "baseUrl" | "details">): string | undefined {
  for (const name of CLIENT_IDENTITY_HEADERS) delete headers[name];
  if (account.credential === "") return "account has no credential";
  switch (account.type) {
    case UpstreamAccountType.OPENAI_API:
      if (account.credentialKind !== CredentialKind.BEARER_API_KEY && account.credentialKind !== CredentialKind.API_KEY) {
        return `credential kind ${String(account.credentialKind)} is not an OpenAI API key`;
      }
      if (isAzureBaseUrl(account.baseUrl)) headers["api-key"] = account.credential;
      else headers.authorization = `Bearer ${account.credential}`;
      return undefined;
    case UpstreamAccountType.OPENAI_OAUTH: {
      const accountId = account.details.case === "chatgpt" ? account.details.value.accountId : "";
      if (accountId === "") return "account has no ChatGPT account id";
      headers.authorization = `Bearer ${account.credential}`;
      headers["chatgpt-account-id"] = accountId;
      for (const [name, value] of Object.entries(CODEX_DEFAULT_HEADERS)) if (headers[name] === undefined) headers[name] = value;
      return undefined;
    }
    default:
      return "account is not an OpenAI account";
  }
}

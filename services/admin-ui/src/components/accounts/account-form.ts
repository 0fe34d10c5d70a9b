/**
 * The account dialog's form state and the requests made from it, for the six
 * account types. Create sends every field of the chosen type. Update sends
 * only what changed, and a credential only when one was typed: blank means
 * "keep the current one", since the API never hands credentials back. An OAuth
 * account can instead be authorized in the browser (oauth-exchange.ts).
 *
 * A Gemini or OpenAI API key account left without a base URL is created
 * against its platform's default (GEMINI_API_BASE_URL, OPENAI_API_BASE_URL),
 * sent explicitly so the request says what the form showed. A Gemini OAuth
 * account takes the Gemini CLI's credentials file as pasted rather than
 * separate tokens, and an OpenAI OAuth (ChatGPT) account Codex's auth.json;
 * the server reads either.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { AccountType, type Account, type CreateAccountRequestSchema, type OAuthTokensSchema, type UpdateAccountRequestSchema } from "@claude-relay/proto/admin";
import { GEMINI_API_BASE_URL, OPENAI_API_BASE_URL, accountTypeInfo, isOAuthType } from "../platforms/platforms.js";

/** Priority a new account starts with (lower runs first). */
export const DEFAULT_ACCOUNT_PRIORITY = 50;

/**
 * How an OAuth account gets its tokens: authorized in the browser, or pasted
 * (the tokens for Claude, the Gemini CLI's credentials file for Gemini,
 * Codex's auth.json for ChatGPT).
 */
export type OAuthMethod = "authorize" | "tokens";

/** An authorization started with GenerateOAuthUrl. */
export interface OAuthStart {
  authorizeUrl: string;
  /** Sent back with the code. */
  state: string;
  /** Milliseconds since the epoch; 0 when the server gave none. */
  expiresAtMs: number;
  /** The account type the link was made for; a link for another type is not used. */
  type: AccountType;
}

/** What the account dialog edits. Numbers are null while their input is cleared. */
export interface AccountFormState {
  name: string;
  type: AccountType;
  baseUrl: string;
  apiKey: string;
  accessToken: string;
  refreshToken: string;
  /** Milliseconds since the epoch, or null for none. */
  tokenExpiresAtMs: number | null;
  /** Gemini OAuth: ~/.gemini/oauth_creds.json as pasted; OpenAI OAuth: ~/.codex/auth.json. */
  credentialsJson: string;
  /** Gemini OAuth: the Code Assist project; "" to let the server find it. */
  projectId: string;
  /** OAuth: the token endpoint; "" for the platform's default. */
  tokenUrl: string;
  priority: number | null;
  maxConcurrentTasks: number | null;
  schedulable: boolean;
  proxyUrl: string;
  /** Scheduling group; "" for none. */
  group: string;
  /** Empty: every model. */
  allowedModels: string[];
  oauthMethod: OAuthMethod;
  oauthStart: OAuthStart | undefined;
  /** The code pasted after authorizing ("code#state" as shown, or the whole redirected address, is fine). */
  oauthCode: string;
}

/** A blank form for a new account. */
export function emptyAccountForm(): AccountFormState {
  return {
    name: "",
    type: AccountType.CLAUDE_CONSOLE,
    baseUrl: "",
    apiKey: "",
    accessToken: "",
    refreshToken: "",
    tokenExpiresAtMs: null,
    credentialsJson: "",
    projectId: "",
    tokenUrl: "",
    priority: DEFAULT_ACCOUNT_PRIORITY,
    maxConcurrentTasks: 0,
    schedulable: true,
    proxyUrl: "",
    group: "",
    allowedModels: [],
    oauthMethod: "authorize",
    oauthStart: undefined,
    oauthCode: "",
  };
}

/** The form for editing `account`; credentials start blank. */
export function formFromAccount(account: Account): AccountFormState {
  return {
    ...emptyAccountForm(),
    name: account.name,
    type: accountTypeInfo(account.type) ? account.type : AccountType.CLAUDE_CONSOLE,
    baseUrl: account.baseUrl,
    tokenExpiresAtMs: account.tokenExpiresAt ? timestampMs(account.tokenExpiresAt) : null,
    projectId: account.projectId,
    tokenUrl: account.tokenUrl,
    priority: account.priority,
    maxConcurrentTasks: account.maxConcurrentTasks,
    schedulable: account.schedulable,
    proxyUrl: account.proxyUrl,
    group: account.group,
    allowedModels: [...account.allowedModels],
    // An existing account keeps its tokens unless the admin chooses to authorize it again.
    oauthMethod: "tokens",
  };
}

/** True for the OAuth types whose pasted credentials are a sign-in file (Gemini CLI's, Codex's) rather than tokens. */
export function takesSignInFile(type: AccountType): boolean {
  return type === AccountType.GEMINI_OAUTH || type === AccountType.OPENAI_OAUTH;
}

/** True when the form authorizes an OAuth account in the browser rather than taking pasted credentials. */
export function isAuthorizing(form: AccountFormState): boolean {
  return isOAuthType(form.type) && form.oauthMethod === "authorize";
}

/** The models of a list, trimmed, without blanks. */
export function cleanModels(models: readonly string[]): string[] {
  return models.map((model) => model.trim()).filter((model) => model !== "");
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function oauthTokens(form: AccountFormState): MessageInitShape<typeof OAuthTokensSchema> {
  return {
    accessToken: form.accessToken.trim(),
    refreshToken: form.refreshToken.trim(),
    ...(form.tokenExpiresAtMs !== null && { expiresAt: timestampFromMs(form.tokenExpiresAtMs) }),
  };
}

/** The CreateAccount request for the form. */
export function toCreateRequest(form: AccountFormState): MessageInitShape<typeof CreateAccountRequestSchema> {
  const common = {
    name: form.name.trim(),
    type: form.type,
    priority: form.priority ?? 0,
    maxConcurrentTasks: form.maxConcurrentTasks ?? 0,
    schedulable: form.schedulable,
    proxyUrl: form.proxyUrl.trim(),
    group: form.group.trim(),
    allowedModels: cleanModels(form.allowedModels),
  };
  switch (form.type) {
    case AccountType.CLAUDE_OAUTH:
      return { ...common, oauth: oauthTokens(form), tokenUrl: form.tokenUrl.trim() };
    case AccountType.GEMINI_OAUTH:
      return { ...common, credentialsJson: form.credentialsJson.trim(), projectId: form.projectId.trim(), tokenUrl: form.tokenUrl.trim() };
    case AccountType.OPENAI_OAUTH:
      return { ...common, credentialsJson: form.credentialsJson.trim(), tokenUrl: form.tokenUrl.trim() };
    case AccountType.GEMINI_API:
      return { ...common, baseUrl: form.baseUrl.trim() || GEMINI_API_BASE_URL, apiKey: form.apiKey.trim() };
    case AccountType.OPENAI_API:
      return { ...common, baseUrl: form.baseUrl.trim() || OPENAI_API_BASE_URL, apiKey: form.apiKey.trim() };
    default:
      return { ...common, baseUrl: form.baseUrl.trim(), apiKey: form.apiKey.trim() };
  }
}

/** The UpdateAccount request carrying only the fields that differ from `account`. */
export function toUpdateRequest(form: AccountFormState, account: Account): MessageInitShape<typeof UpdateAccountRequestSchema> {
  const req: MessageInitShape<typeof UpdateAccountRequestSchema> = { id: account.id };
  const name = form.name.trim();
  if (name !== account.name) req.name = name;
  const priority = form.priority ?? 0;
  if (priority !== account.priority) req.priority = priority;
  const maxConcurrentTasks = form.maxConcurrentTasks ?? 0;
  if (maxConcurrentTasks !== account.maxConcurrentTasks) req.maxConcurrentTasks = maxConcurrentTasks;
  if (form.schedulable !== account.schedulable) req.schedulable = form.schedulable;
  // The proxy URL comes back with its password masked; sending it unchanged would be a no-op anyway.
  const proxyUrl = form.proxyUrl.trim();
  if (proxyUrl !== account.proxyUrl) req.proxyUrl = proxyUrl;
  const group = form.group.trim();
  if (group !== account.group) req.group = group;
  const allowedModels = cleanModels(form.allowedModels);
  if (!sameList(allowedModels, account.allowedModels)) req.allowedModels = { models: allowedModels };
  if (!isOAuthType(form.type)) {
    const baseUrl = form.baseUrl.trim();
    if (baseUrl !== account.baseUrl) req.baseUrl = baseUrl;
    if (form.apiKey.trim() !== "") req.apiKey = form.apiKey.trim();
    return req;
  }
  const tokenUrl = form.tokenUrl.trim();
  if (tokenUrl !== account.tokenUrl) req.tokenUrl = tokenUrl;
  if (form.type === AccountType.GEMINI_OAUTH) {
    const projectId = form.projectId.trim();
    if (projectId !== account.projectId) req.projectId = projectId;
  }
  if (takesSignInFile(form.type)) {
    if (!isAuthorizing(form) && form.credentialsJson.trim() !== "") req.credentialsJson = form.credentialsJson.trim();
  } else if (!isAuthorizing(form) && form.accessToken.trim() !== "") {
    req.oauth = oauthTokens(form);
  }
  return req;
}

/** True when an UpdateAccount request changes anything besides naming the account. */
export function changesAnything(req: MessageInitShape<typeof UpdateAccountRequestSchema>): boolean {
  return Object.keys(req).some((key) => key !== "id");
}

/** Why a pasted Gemini CLI credentials file cannot be right, as a message key; undefined when it may be. */
export function credentialsProblem(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "accountForm.credentialsNotJson";
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "accountForm.credentialsNotJson";
  const { access_token: access, refresh_token: refresh } = parsed as Record<string, unknown>;
  const present = (value: unknown) => typeof value === "string" && value !== "";
  return present(access) || present(refresh) ? undefined : "accountForm.credentialsNoToken";
}

/**
 * Finishing an account form that authorizes in the browser, and the checks
 * made before any call. ExchangeOAuthCode creates the account (or replaces an
 * existing one's tokens); whatever setting the exchange does not carry then
 * follows as an UpdateAccount. The link is tied to the account type it was
 * made for: a Claude link never finishes a Gemini account, nor the reverse.
 * The paste may be the whole address the browser was sent back to (a ChatGPT
 * sign-in lands on localhost:1455); its code is what is exchanged, and a
 * state in it must be the link's own (oauth-paste.ts).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { AccountType, type Account, type ExchangeOAuthCodeRequestSchema, type UpdateAccountRequestSchema } from "@claude-relay/proto/admin";
import { cleanModels, credentialsProblem, isAuthorizing, toUpdateRequest, type AccountFormState } from "./account-form.js";
import { codexAuthProblem } from "./codex-auth.js";
import { parseOAuthPaste } from "./oauth-paste.js";

/**
 * The ExchangeOAuthCode request finishing the form's authorization: with
 * `accountId` it replaces that account's tokens, else it creates the account
 * with the form's settings. Undefined until a link for the form's type was
 * generated and a code (or an address holding one) pasted.
 */
export function toExchangeRequest(form: AccountFormState, accountId = ""): MessageInitShape<typeof ExchangeOAuthCodeRequestSchema> | undefined {
  const pasted = parseOAuthPaste(form.oauthCode);
  if (form.oauthStart === undefined || form.oauthStart.type !== form.type || pasted.kind !== "code") return undefined;
  const target = { code: pasted.code, state: form.oauthStart.state };
  if (accountId !== "") return { ...target, accountId };
  return {
    ...target,
    name: form.name.trim(),
    priority: form.priority ?? 0,
    maxConcurrentTasks: form.maxConcurrentTasks ?? 0,
    proxyUrl: form.proxyUrl.trim(),
    group: form.group.trim(),
    allowedModels: cleanModels(form.allowedModels),
    ...(form.type === AccountType.GEMINI_OAUTH && { projectId: form.projectId.trim() }),
  };
}

/**
 * What is left to update once the exchange created or re-authorized `account`.
 * A new Gemini account whose project was left blank keeps the project the
 * server found for it, rather than having it cleared again.
 */
export function settingsAfterExchange(form: AccountFormState, account: Account, created: boolean): MessageInitShape<typeof UpdateAccountRequestSchema> {
  const found = created && form.projectId.trim() === "" ? { projectId: account.projectId } : {};
  return toUpdateRequest({ ...form, ...found, oauthMethod: "authorize" }, account);
}

/** The message asking for the code, by the account type being authorized. */
const CODE_REQUIRED: Partial<Record<AccountType, string>> = {
  [AccountType.GEMINI_OAUTH]: "oauth.googleCodeRequired",
  [AccountType.OPENAI_OAUTH]: "oauth.chatgptCodeRequired",
};

/** The sign-in file each type takes when pasted: the message when it is missing, and its check. */
const FILE_CHECKS: Partial<Record<AccountType, { required: string; problem: (text: string) => string | undefined }>> = {
  [AccountType.GEMINI_OAUTH]: { required: "accountForm.credentialsRequired", problem: credentialsProblem },
  [AccountType.OPENAI_OAUTH]: { required: "accountForm.authJsonRequired", problem: codexAuthProblem },
};

/**
 * The first reason the form cannot be sent as it is, as a message key;
 * undefined when the server can have it (and check every field itself).
 */
export function formProblem(form: AccountFormState, editing: boolean): string | undefined {
  if (isAuthorizing(form)) {
    if (form.oauthStart === undefined || form.oauthStart.type !== form.type) return "oauth.linkRequired";
    const pasted = parseOAuthPaste(form.oauthCode);
    if (pasted.kind === "empty") return CODE_REQUIRED[form.type] ?? "oauth.codeRequired";
    if (pasted.kind === "error") return "oauth.signInRefused";
    if (pasted.state !== undefined && pasted.state !== form.oauthStart.state) return "oauth.stateMismatch";
    return undefined;
  }
  const check = FILE_CHECKS[form.type];
  if (check === undefined) return undefined;
  const pasted = form.credentialsJson.trim();
  if (pasted === "") return editing ? undefined : check.required;
  return check.problem(pasted);
}

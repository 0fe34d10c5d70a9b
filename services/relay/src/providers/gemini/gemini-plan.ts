/**
 * How a Gemini or Code Assist request goes to a leased Gemini account. When
 * the client and the account speak the same protocol the body passes as it
 * came (a Code Assist body only has its `project` set to the account's) and
 * the answer's bytes pass unchanged; when they differ, the request is
 * translated once and the answer by a translator (translate/). The client's
 * key never goes upstream, in a header or in `?key=`; the account's credential
 * does: an API key as `x-goog-api-key`, an OAuth token as a Bearer token.
 */
import type { IncomingMessage } from "node:http";
import { replaceCodeAssistProject } from "@claude-relay/gemini";
import { CredentialKind, type UpstreamAccount, UpstreamAccountType } from "@claude-relay/proto/lease";
import { fromCodeAssistAnswer, toCodeAssistRequest } from "../../translate/gemini-to-code-assist/gemini-to-code-assist.js";
import { toCodeAssistAnswer, toGeminiRequest } from "../../translate/code-assist-to-gemini/code-assist-to-gemini.js";
import { buildUpstreamRequest } from "../../upstream/forward.js";
import type { ApiRequest, PlanResult, ResponseTranslator } from "../provider.js";
import { GEMINI_PROTOCOL } from "./gemini-protocol.js";
import type { GeminiPath } from "./gemini-routes.js";

type Forwarded = Exclude<GeminiPath["endpoint"], "models" | "housekeeping">;

/** The plan for `request` (to a forwarded endpoint at `path`) on `account`. */
export function planGemini(path: GeminiPath, account: UpstreamAccount, request: ApiRequest, req: IncomingMessage): PlanResult {
  if (path.endpoint === "models" || path.endpoint === "housekeeping") return { ok: false, detail: "endpoint is answered by the relay" };
  const call: Forwarded = path.endpoint;
  const { query, wantsSse } = upstreamQuery(request.url);
  const project = account.details.case === "codeAssist" ? account.details.value.projectId : "";
  let upstreamPath: string;
  let body = request.body;
  let translator: ResponseTranslator | undefined;
  switch (account.type) {
    case UpstreamAccountType.GEMINI_API:
      if (path.api === "gemini") {
        upstreamPath = `/v1beta/models/${encodeURIComponent(path.model)}:${path.endpoint === "stream" ? "streamGenerateContent" : path.endpoint === "count_tokens" ? "countTokens" : "generateContent"}${query}`;
      } else {
        const unwrapped = toGeminiRequest(call, body);
        if (!unwrapped.ok) return { ok: false, detail: "Code Assist request could not be unwrapped" };
        upstreamPath = unwrapped.path;
        body = unwrapped.body;
        translator = toCodeAssistAnswer(call, wantsSse);
      }
      break;
    case UpstreamAccountType.GEMINI_OAUTH:
      if (project === "") return { ok: false, detail: "account has no Code Assist project" };
      if (path.api === "code-assist") {
        upstreamPath = `/v1internal:${path.method}${query}`;
        if (call !== "count_tokens") body = replaceCodeAssistProject(body, project) ?? body;
      } else {
        const wrapped = toCodeAssistRequest(call, path.model, project, body);
        upstreamPath = wrapped.path;
        body = wrapped.body;
        translator = fromCodeAssistAnswer(call, wantsSse);
      }
      break;
    default:
      return { ok: false, detail: "account is not a Gemini account" };
  }
  const built = buildUpstreamRequest(account, upstreamPath, req.headers, body.length, signGeminiRequest);
  if (!built.ok) return built;
  // A translator reads the answer's bytes, so they must come uncompressed.
  if (translator !== undefined) built.request.headers["accept-encoding"] = "identity";
  return { ok: true, plan: { method: "POST", protocol: GEMINI_PROTOCOL, request: built.request, body, ...(translator && { translator }) } };
}

/** Puts a Gemini account's credential on the headers, after taking the client's key off them. */
export function signGeminiRequest(headers: Record<string, string | string[]>, account: Pick<UpstreamAccount, "credentialKind" | "credential">): string | undefined {
  delete headers["x-goog-api-key"];
  switch (account.credentialKind) {
    case CredentialKind.GOOGLE_API_KEY:
      headers["x-goog-api-key"] = account.credential;
      return undefined;
    case CredentialKind.OAUTH_TOKEN:
      headers.authorization = `Bearer ${account.credential}`;
      return undefined;
    default:
      return `credential kind ${String(account.credentialKind)} is not a Gemini one`;
  }
}

/** The client's query without its `key`, as `?…` or "", and whether it asked for `alt=sse`. */
export function upstreamQuery(url: string): { query: string; wantsSse: boolean } {
  const at = url.indexOf("?");
  if (at < 0) return { query: "", wantsSse: false };
  const params = new URLSearchParams(url.slice(at + 1));
  params.delete("key");
  const rest = params.toString();
  return { query: rest === "" ? "" : `?${rest}`, wantsSse: params.get("alt") === "sse" };
}

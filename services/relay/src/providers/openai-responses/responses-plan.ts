/**
 * How a Responses request goes to a leased OpenAI account: `POST
 * {base_url}/responses` on an API key's base URL or on the Codex backend, the
 * body as it came (on the Codex backend with `instructions` added when it has
 * none, see codex-instructions.ts), signed with the account's credential
 * (openai-credentials.ts). Client and account speak the same protocol, so the
 * answer's bytes pass unchanged.
 */
import type { IncomingMessage } from "node:http";
import { type UpstreamAccount, UpstreamAccountType } from "@claude-relay/proto/lease";
import { buildUpstreamRequest } from "../../upstream/forward.js";
import { openAiUpstreamPath, signOpenAiRequest } from "../openai/openai-credentials.js";
import { OPENAI_PROTOCOL } from "../openai/openai-protocol.js";
import type { ApiRequest, PlanResult } from "../provider.js";
import { withCodexInstructions } from "./codex-instructions.js";

/** What the read found that the plan needs; absent means the body names its instructions. */
export interface ResponsesPrepared {
  hasInstructions: boolean;
}

/** The plan for a Responses request on `account`. */
export function planResponses(account: UpstreamAccount, request: ApiRequest, req: IncomingMessage): PlanResult {
  if (account.type !== UpstreamAccountType.OPENAI_API && account.type !== UpstreamAccountType.OPENAI_OAUTH) return { ok: false, detail: "account is not an OpenAI account" };
  const prepared = request.prepared as ResponsesPrepared | undefined;
  const body = account.type === UpstreamAccountType.OPENAI_OAUTH ? withCodexInstructions(request.body, prepared?.hasInstructions ?? true) : request.body;
  const built = buildUpstreamRequest(account, openAiUpstreamPath(account, "/responses"), req.headers, body.length, signOpenAiRequest);
  if (!built.ok) return built;
  return { ok: true, plan: { method: "POST", protocol: OPENAI_PROTOCOL, request: built.request, body } };
}

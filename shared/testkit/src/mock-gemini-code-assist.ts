/**
 * The Code Assist API (`{endpoint}/v1internal:<method>`, cloudcode-pa.googleapis.com) as the Gemini
 * CLI in Google-login mode calls it: a Bearer token the mock issued, the setup calls (loadCodeAssist,
 * onboardUser as a long-running operation, retrieveUserQuota, listExperiments, the metrics and
 * settings calls) and the generation calls in their envelope (`{model, project, user_prompt_id,
 * request: {…, session_id}}` in, `{"response": {…}, "traceId"}` out). A project that is not the
 * account's is refused with 403. The shapes follow the CLI's packages/core/src/code_assist/
 * (server.ts, converter.ts, types.ts, setup.ts). Accounts and tokens live in mock-gemini-oauth.ts;
 * what a generation call answers is left to mock-gemini-reply.ts.
 */
import { randomBytes } from "node:crypto";
import { bearerRefusedError, type GoogleErrorSpec, invalidJsonError, modelNotFoundError, projectDeniedError, unknownFieldError } from "./mock-gemini-errors.js";
import type { MockCodeAssistTier, MockGoogleAccount } from "./mock-gemini-accounts.js";
import type { MockGoogleAuth } from "./mock-gemini-oauth.js";
import {
  type GenerateCall,
  isFailure,
  type MockGeminiReply,
  playGenerate,
  playPlainFailure,
  sendGoogleError,
  sendJson,
} from "./mock-gemini-reply.js";
import { bareModel, checkGenerateRequest, isObject, type JsonObject, parseJsonObject, REQUEST_FIELDS, unknownField } from "./mock-gemini-request.js";
import type { MockResponder } from "./mock-responder.js";

/** How onboardUser finishes: in its own answer, or on the first operations poll after it. */
export type MockOnboarding = "immediate" | "after-poll";

/** The methods the mock serves under /v1internal. */
export const CODE_ASSIST_METHODS = [
  "loadCodeAssist",
  "onboardUser",
  "getOperation",
  "retrieveUserQuota",
  "listExperiments",
  "recordCodeAssistMetrics",
  "fetchAdminControls",
  "getCodeAssistGlobalUserSetting",
  "setCodeAssistGlobalUserSetting",
  "generateContent",
  "streamGenerateContent",
  "countTokens",
] as const;

/** One Code Assist method name. */
export type CodeAssistMethod = (typeof CODE_ASSIST_METHODS)[number];

/** What the route module needs from the mock. */
export interface CodeAssistDeps {
  auth: MockGoogleAuth;
  models: readonly string[];
  onboarding: MockOnboarding;
  /** requests per model and day that retrieveUserQuota reports against */
  dailyRequestLimit: number;
}

/** One Code Assist call as the mock read it. */
export interface CodeAssistCall {
  method: CodeAssistMethod;
  /** the operation name for getOperation (`operations/…`) */
  operation?: string;
  authorization: string | undefined;
  body: Buffer;
  sse: boolean;
}

const TIERS: Readonly<Record<MockCodeAssistTier, JsonObject>> = {
  "free-tier": { id: "free-tier", name: "Gemini Code Assist for individuals", description: "Gemini Code Assist for individuals, at no cost", userDefinedCloudaicompanionProject: false },
  "standard-tier": { id: "standard-tier", name: "Gemini Code Assist", description: "Gemini Code Assist with your own Google Cloud project", userDefinedCloudaicompanionProject: true },
  "legacy-tier": { id: "legacy-tier", name: "Gemini Code Assist (legacy)", description: "Gemini Code Assist, legacy plan", userDefinedCloudaicompanionProject: true },
};

/** A value, or the Google error a call is refused with. */
type Outcome<T> = { value: T } | { refusal: GoogleErrorSpec };

function refuse(refusal: GoogleErrorSpec): { refusal: GoogleErrorSpec } {
  return { refusal };
}

/** Creates the handler of /v1internal calls. */
export function createCodeAssistRoutes(deps: CodeAssistDeps) {
  const pending = new Map<string, MockGoogleAccount>();

  function tiersFor(account: MockGoogleAccount): JsonObject[] {
    const others = (["free-tier", "standard-tier"] as const).filter((tier) => tier !== account.tier);
    return [{ ...TIERS[account.tier], isDefault: true }, ...others.map((tier) => TIERS[tier])];
  }

  function onboarded(name: string, account: MockGoogleAccount): JsonObject {
    account.onboarded = true;
    const response = { "@type": "type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse", cloudaicompanionProject: { id: account.projectId, name: account.projectId } };
    return { name, done: true, response };
  }

  /** The answer of a setup or settings method, or the error it is refused with. */
  function answer(call: CodeAssistCall, account: MockGoogleAccount, body: JsonObject): Outcome<JsonObject> {
    const project = typeof body.project === "string" ? body.project : undefined;
    const denied = (name: string | undefined) => (name !== account.projectId || !account.onboarded ? refuse(projectDeniedError(name ?? "")) : undefined);
    switch (call.method) {
      case "loadCodeAssist": {
        const requested = typeof body.cloudaicompanionProject === "string" ? body.cloudaicompanionProject : undefined;
        if (requested !== undefined && requested !== account.projectId) return refuse(projectDeniedError(requested));
        if (!account.onboarded) return { value: { allowedTiers: tiersFor(account) } };
        // The free tier runs in a project Google manages; the others only know the project the user named.
        const known = account.tier === "free-tier" || requested !== undefined;
        return { value: { currentTier: TIERS[account.tier], allowedTiers: tiersFor(account), ...(known ? { cloudaicompanionProject: account.projectId } : {}) } };
      }
      case "onboardUser": {
        const requested = typeof body.cloudaicompanionProject === "string" ? body.cloudaicompanionProject : undefined;
        if (body.tierId !== account.tier) return refuse({ code: 400, message: `Tier ${String(body.tierId)} is not available to this user.` });
        // setup.ts: naming a project when onboarding to the free tier fails with "Precondition Failed".
        if (account.tier === "free-tier" && requested !== undefined) return refuse({ code: 400, status: "FAILED_PRECONDITION" });
        if (account.tier !== "free-tier" && requested === undefined) return refuse({ code: 400, message: "A Google Cloud project is required for this tier." });
        if (account.tier !== "free-tier" && requested !== account.projectId) return refuse(projectDeniedError(requested ?? ""));
        const name = `operations/onboard-${randomBytes(8).toString("hex")}`;
        if (deps.onboarding === "immediate") return { value: onboarded(name, account) };
        pending.set(name, account);
        return { value: { name, done: false } };
      }
      case "getOperation": {
        const name = call.operation ?? "";
        if (pending.get(name) !== account) return refuse({ code: 404, message: `Operation ${name} not found.` });
        pending.delete(name);
        return { value: onboarded(name, account) };
      }
      case "retrieveUserQuota": {
        const refusal = denied(project);
        if (refusal) return refusal;
        const reset = new Date();
        reset.setUTCHours(24, 0, 0, 0);
        const buckets = deps.models.map((modelId) => {
          const used = account.requestsByModel.get(modelId) ?? 0;
          const remainingFraction = Math.max(0, 1 - used / deps.dailyRequestLimit);
          return { remainingFraction, resetTime: reset.toISOString().replace(/\.\d{3}Z$/, "Z"), tokenType: "REQUESTS", modelId };
        });
        return { value: { buckets } };
      }
      case "listExperiments":
        return denied(project) ?? { value: { experimentIds: [], flags: [] } };
      case "recordCodeAssistMetrics":
      case "fetchAdminControls":
        return denied(project) ?? { value: {} };
      case "getCodeAssistGlobalUserSetting":
      case "setCodeAssistGlobalUserSetting":
        return { value: { cloudaicompanionProject: account.projectId, freeTierDataCollectionOptin: body.freeTierDataCollectionOptin === true } };
      default:
        return refuse({ code: 404, message: "Method not found." });
    }
  }

  /** Reads and checks a generation envelope; the call to play, or the error to answer. */
  function generation(call: CodeAssistCall, account: MockGoogleAccount, body: JsonObject | undefined): Outcome<GenerateCall> {
    const method = call.method as GenerateCall["method"];
    if (!body) return refuse(invalidJsonError());
    if (method === "countTokens") {
      const inner = body.request;
      const unknown = unknownField(body, ["request"]) ?? (isObject(inner) ? unknownField(inner, ["model", "contents", "systemInstruction", "tools", "generationConfig"]) : undefined);
      if (unknown !== undefined) return refuse(unknownFieldError(unknown));
      const model = isObject(inner) && typeof inner.model === "string" ? bareModel(inner.model) : "";
      if (!deps.models.includes(model)) return refuse(modelNotFoundError("code-assist", model, method));
      const problem = checkGenerateRequest(inner, REQUEST_FIELDS.codeAssistInner);
      return problem ? refuse(problem) : { value: { api: "code-assist", method, sse: call.sse, model, request: inner as JsonObject } };
    }
    const unknown = unknownField(body, REQUEST_FIELDS.codeAssistEnvelope);
    if (unknown !== undefined) return refuse(unknownFieldError(unknown));
    const project = typeof body.project === "string" ? body.project : "";
    if (project !== account.projectId || !account.onboarded) return refuse(projectDeniedError(project));
    const model = typeof body.model === "string" ? bareModel(body.model) : "";
    if (!deps.models.includes(model)) return refuse(modelNotFoundError("code-assist", model, method));
    const problem = checkGenerateRequest(body.request, REQUEST_FIELDS.codeAssistInner);
    return problem ? refuse(problem) : { value: { api: "code-assist", method, sse: call.sse, model, request: body.request as JsonObject } };
  }

  return {
    /** Answers one call; `nextReply` is only consulted once the caller's token is accepted. */
    async handle(out: MockResponder, call: CodeAssistCall, nextReply: () => MockGeminiReply): Promise<void> {
      const streaming = call.method === "streamGenerateContent";
      const account = deps.auth.accountFor(call.authorization);
      if (account === "missing" || account === "invalid") return sendGoogleError(out, bearerRefusedError(account === "missing", call.method), streaming);
      const reply = nextReply();
      const body = call.method === "getOperation" || call.method === "getCodeAssistGlobalUserSetting" ? {} : parseJsonObject(call.body);
      const isGeneration = call.method === "generateContent" || streaming || call.method === "countTokens";
      if (!isGeneration) {
        if (isFailure(reply)) return playPlainFailure(out, "code-assist", reply, "");
        if (reply.kind === "ok" && reply.delayMs) await out.sleep(reply.delayMs);
        if (!body) return sendGoogleError(out, invalidJsonError());
        const result = answer(call, account, body);
        return "refusal" in result ? sendGoogleError(out, result.refusal) : sendJson(out, 200, JSON.stringify(result.value, null, 2));
      }
      const provisional: GenerateCall = { api: "code-assist", method: call.method as GenerateCall["method"], sse: call.sse, model: typeof body?.model === "string" ? bareModel(body.model) : "", request: {} };
      if (isFailure(reply)) return playGenerate(out, provisional, reply);
      const checked = generation(call, account, body);
      if ("refusal" in checked) return sendGoogleError(out, checked.refusal, streaming);
      const { model } = checked.value;
      if (call.method !== "countTokens") account.requestsByModel.set(model, (account.requestsByModel.get(model) ?? 0) + 1);
      return playGenerate(out, checked.value, reply);
    },
  };
}

/**
 * What the relay answers itself on the Gemini front doors, without a lease:
 *
 * - the model listing (`GET /v1beta/models[/{model}]`), from the models the
 *   relay knows Gemini accounts serve, since a Code Assist account has no
 *   listing of its own;
 * - the Code Assist housekeeping calls the Gemini CLI makes in its
 *   Google-login mode before and around a prompt (loadCodeAssist, onboardUser,
 *   retrieveUserQuota, listExperiments, user settings, metrics). Their answers
 *   name the relay's own tier and project, whichever account later serves the
 *   prompt: each account's real project is put in by the relay per request.
 *
 * A key must be present (else 401 in Google's shape). It is not checked here:
 * these answers are the same for every key and carry nothing about the pool.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { writeErrorResponse } from "../../errors.js";
import { discardBody } from "../../http/read-body.js";
import { toGoogleError } from "./google-errors.js";
import { geminiClientKeyOf } from "./read-gemini.js";

/** The project every housekeeping answer names; requests carry the serving account's own upstream. */
export const RELAY_PROJECT = "claude-relay";

/** Models listed by `GET /v1beta/models`, with their limits (https://ai.google.dev/gemini-api/docs/models). */
const MODELS: ReadonlyArray<{ name: string; displayName: string; input: number; output: number; thinking: boolean }> = [
  { name: "gemini-2.5-pro", displayName: "Gemini 2.5 Pro", input: 1_048_576, output: 65_536, thinking: true },
  { name: "gemini-2.5-flash", displayName: "Gemini 2.5 Flash", input: 1_048_576, output: 65_536, thinking: true },
  { name: "gemini-2.5-flash-lite", displayName: "Gemini 2.5 Flash-Lite", input: 1_048_576, output: 65_536, thinking: true },
  { name: "gemini-3-pro-preview", displayName: "Gemini 3 Pro Preview", input: 1_048_576, output: 65_536, thinking: true },
  { name: "gemini-3-flash-preview", displayName: "Gemini 3 Flash Preview", input: 1_048_576, output: 65_536, thinking: true },
];

const TIER = { id: "standard-tier", name: "claude-relay", description: "Served by claude-relay", userDefinedCloudaicompanionProject: false };

/** The JSON answer of a housekeeping method. */
function housekeepingAnswer(method: string): unknown {
  switch (method) {
    case "loadCodeAssist":
      return { currentTier: TIER, allowedTiers: [{ ...TIER, isDefault: true }], cloudaicompanionProject: RELAY_PROJECT };
    case "onboardUser":
      return { name: "onboard/claude-relay", done: true, response: { cloudaicompanionProject: { id: RELAY_PROJECT, name: RELAY_PROJECT } } };
    case "retrieveUserQuota":
      return { buckets: [] };
    case "listExperiments":
      return { experimentIds: [], flags: [] };
    default:
      return {};
  }
}

function modelResource(model: (typeof MODELS)[number]): unknown {
  return {
    name: `models/${model.name}`,
    version: model.name,
    displayName: model.displayName,
    inputTokenLimit: model.input,
    outputTokenLimit: model.output,
    supportedGenerationMethods: ["generateContent", "countTokens"],
    thinking: model.thinking,
  };
}

/** Answers a housekeeping call; resolves to the status written. */
export async function answerHousekeeping(req: IncomingMessage, res: ServerResponse, requestId: string, method: string): Promise<number> {
  if (!(await discardBody(req))) return 499;
  if (geminiClientKeyOf(req, req.url ?? "/") === undefined) return writeErrorResponse(res, toGoogleError({ kind: "missing-key" }, requestId));
  return writeJson(res, 200, housekeepingAnswer(method), requestId);
}

/** Answers the model listing, or one model (404 NOT_FOUND for one it does not know); resolves to the status written. */
export async function answerModels(req: IncomingMessage, res: ServerResponse, requestId: string, model: string): Promise<number> {
  if (!(await discardBody(req))) return 499;
  if (geminiClientKeyOf(req, req.url ?? "/") === undefined) return writeErrorResponse(res, toGoogleError({ kind: "missing-key" }, requestId));
  if (model === "") return writeJson(res, 200, { models: MODELS.map(modelResource) }, requestId);
  const found = MODELS.find((m) => m.name === model);
  if (found === undefined) return writeErrorResponse(res, toGoogleError({ kind: "not-found", method: "GET", path: `models/${model}` }, requestId));
  return writeJson(res, 200, modelResource(found), requestId);
}

function writeJson(res: ServerResponse, status: number, value: unknown, requestId: string): number {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json; charset=UTF-8", "content-length": String(Buffer.byteLength(body)), "x-request-id": requestId });
  res.end(body);
  return status;
}

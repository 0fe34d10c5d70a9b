/**
 * Plays one scripted reply on a generation route (Responses on the API or the Codex backend, chat
 * completions): errors with their bodies and headers, usage limits, deactivation, stalls,
 * disconnects, failures mid-stream, and the answers themselves, streamed or whole, paced and cut
 * as the script asks. Credentials, validation and queueing are left to mock-openai.ts.
 */
import {
  DEACTIVATED_WORKSPACE_BODY,
  openAIErrorBody,
  openAIHeaders,
  sendJson,
  usageLimitBody,
} from "./mock-openai-errors.js";
import { buildAnswer, type MockOpenAIAnswer, type MockOpenAIPacing, type MockOpenAIReply } from "./mock-openai-reply.js";
import type { JsonObject } from "./mock-openai-request.js";
import { chatChunks, chatCompletion, failedEvents, responseEvents, responseObject, responsesSse } from "./mock-openai-wire.js";
import type { MockResponder } from "./mock-responder.js";

/** One generation call, as the route read it. */
export interface GenerateCall {
  route: "responses" | "codexResponses" | "chatCompletions";
  request: JsonObject;
  body: Buffer;
  model: string;
  stream: boolean;
  /** headers every answer of this call carries (the Codex rate-limit headers) */
  headers: Record<string, string>;
  /** the ChatGPT plan of a Codex call's account */
  planType: string;
  /** called with every answer produced, before it is sent (the route stores it) */
  onAnswer(answer: MockOpenAIAnswer): void;
}

const SSE = "text/event-stream; charset=utf-8";
const DEACTIVATED_MESSAGE =
  "Your OpenAI account has been deactivated, please check your email for more information. If you feel this is an error, contact us through our help center at help.openai.com.";
const QUOTA_MESSAGE = "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.";

/** The events (or chunks) of a normal answer to this call. */
function units(call: GenerateCall, answer: MockOpenAIAnswer): Buffer[] {
  if (call.route === "chatCompletions") {
    const options = (call.request.stream_options ?? {}) as JsonObject;
    return chatChunks(answer, options.include_usage === true);
  }
  return responsesSse(responseEvents(answer, call.request));
}

function wholeBody(call: GenerateCall, answer: MockOpenAIAnswer): JsonObject {
  return call.route === "chatCompletions" ? chatCompletion(answer) : responseObject(answer, call.request, "completed");
}

/** Writes stream units as the pacing asks: cut at `splitAt` byte offsets, or by the responder's chunking. */
async function writeStream(out: MockResponder, pieces: Buffer[], pacing: MockOpenAIPacing): Promise<void> {
  if (pacing.splitAt && pacing.splitAt.length > 0) {
    const bytes = Buffer.concat(pieces);
    const cuts = [...new Set(pacing.splitAt)].filter((at) => at > 0 && at < bytes.length).sort((a, b) => a - b);
    let start = 0;
    for (const at of [...cuts, bytes.length]) {
      await out.write(bytes.subarray(start, at));
      // One piece per event-loop turn, so each reaches the reader on its own.
      await out.sleep(pacing.eventDelayMs ?? 1);
      start = at;
    }
    return;
  }
  await out.writeEvents(pieces, pacing.chunking ?? "event", pacing.eventDelayMs ?? 0);
}

/** Plays one reply on a generation route. */
export async function playGenerate(out: MockResponder, call: GenerateCall, reply: MockOpenAIReply): Promise<void> {
  const codex = call.route === "codexResponses";
  const streamHeaders = { ...openAIHeaders(SSE), ...call.headers };
  const plain = () => buildAnswer({ kind: "text" }, call.request, call.body, call.model);
  switch (reply.kind) {
    case "error": {
      const body = reply.body ?? openAIErrorBody({ status: reply.status, message: reply.message ?? "The server had an error while processing your request. Sorry about that!", type: reply.type, param: reply.param, code: reply.code });
      return sendJson(out, reply.status, body, { ...call.headers, ...reply.headers });
    }
    case "usage_limit": {
      const resets = reply.resetsInSeconds ?? 3600;
      if (!codex) return sendJson(out, 429, openAIErrorBody({ status: 429, message: QUOTA_MESSAGE, type: "insufficient_quota", code: "insufficient_quota" }), call.headers);
      const headers = { ...call.headers, "x-codex-primary-used-percent": "100", "x-codex-primary-reset-after-seconds": String(resets), "x-codex-primary-reset-at": String(Math.floor(Date.now() / 1000) + resets) };
      return sendJson(out, 429, usageLimitBody(reply.planType ?? call.planType, resets, Date.now()), headers);
    }
    case "deactivated":
      if (codex) return sendJson(out, 402, DEACTIVATED_WORKSPACE_BODY, call.headers);
      return sendJson(out, 401, openAIErrorBody({ status: 401, message: DEACTIVATED_MESSAGE, code: "account_deactivated" }), call.headers);
    case "stall":
      if (!call.stream) return;
      out.head(200, streamHeaders, true);
      return out.writeEvents(units(call, plain()).slice(0, reply.afterEvents ?? 2), "event", 0);
    case "disconnect": {
      const after = reply.afterEvents ?? 0;
      if (after <= 0) return out.destroy();
      if (call.stream) {
        out.head(200, streamHeaders, true);
        await out.writeEvents(units(call, plain()).slice(0, after), "event", 0);
      } else {
        const json = Buffer.from(JSON.stringify(wholeBody(call, plain()), null, 2), "utf8");
        out.head(200, { ...openAIHeaders("application/json"), ...call.headers, "content-length": String(json.length) });
        await out.write(json.subarray(0, Math.floor(json.length / 2)));
      }
      return out.destroy();
    }
    case "failed": {
      const code = reply.code ?? "server_error";
      const message = reply.message ?? "An error occurred while processing your request. Please retry your request.";
      if (!call.stream || call.route === "chatCompletions") {
        if (!call.stream) return sendJson(out, 500, openAIErrorBody({ status: 500, message, type: "server_error", code }), call.headers);
        out.head(200, streamHeaders, true);
        const chunks = units(call, plain()).slice(0, reply.afterEvents ?? 2);
        const error = Buffer.from(`data: ${JSON.stringify(openAIErrorBody({ status: 500, message, type: "server_error", code }))}\n\n`, "utf8");
        await out.writeEvents([...chunks, error], "event", 0);
        return out.end();
      }
      out.head(200, streamHeaders, true);
      await out.writeEvents(responsesSse(failedEvents(plain(), call.request, reply.afterEvents ?? 2, reply.as ?? "response.failed", code, message)), "event", 0);
      return out.end();
    }
    case "ok":
      return playGenerate(out, call, { kind: "text", delayMs: reply.delayMs });
    default:
      break;
  }
  if (reply.delayMs) await out.sleep(reply.delayMs);
  const answer = buildAnswer(reply, call.request, call.body, call.model);
  call.onAnswer(answer);
  if (!call.stream) return sendJson(out, 200, wholeBody(call, answer), { ...call.headers, ...reply.headers });
  out.head(200, { ...streamHeaders, ...reply.headers }, true);
  await writeStream(out, units(call, answer), reply);
  return out.end();
}

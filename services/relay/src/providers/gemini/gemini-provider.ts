/**
 * The Gemini provider: the Gemini API and Code Assist front doors
 * (gemini-routes.ts) over Gemini API-key accounts and Google sign-in (Code
 * Assist) accounts. Either front door reaches either account type; the bytes
 * pass unchanged when the two match, and translators (translate/) map them
 * when they do not. Errors are in Google's shape.
 */
import { sseGoogleErrorEvent } from "@claude-relay/gemini";
import { Platform } from "@claude-relay/proto/lease";
import type { ProviderRoute, RelayProvider } from "../provider.js";
import { answerHousekeeping, answerModels } from "./gemini-local-answers.js";
import { planGemini } from "./gemini-plan.js";
import { type GeminiPath, geminiPathOf, isGeminiPath } from "./gemini-routes.js";
import { toGoogleError } from "./google-errors.js";
import { geminiClientKeyOf, readGeminiRequest } from "./read-gemini.js";

const INTERRUPTED = sseGoogleErrorEvent(500, "INTERNAL", "The upstream stream was interrupted.");
const SHUTTING_DOWN = sseGoogleErrorEvent(503, "UNAVAILABLE", "The relay is restarting. Please try again.");

/** The path a request was matched on, read again from its URL (routes are shared by every request). */
function pathOf(method: string | undefined, url: string | undefined): GeminiPath | undefined {
  const raw = url ?? "/";
  const query = raw.indexOf("?");
  return geminiPathOf(method ?? "POST", query < 0 ? raw : raw.slice(0, query));
}

function forwarded(label: ProviderRoute["label"]): ProviderRoute {
  return {
    label,
    read(req, options) {
      const path = pathOf(req.method, req.url);
      if (path === undefined) throw Object.assign(new Error("route matched a path it cannot read"), { code: "ERR_RELAY_ROUTE" });
      return readGeminiRequest(req, path, options);
    },
    plan(account, request, req) {
      // The path read() matched; a request read by another route has none.
      const path = request.prepared as GeminiPath | undefined;
      return path === undefined ? { ok: false, detail: "route matched a path it cannot plan" } : planGemini(path, account, request, req);
    },
  };
}

function local(label: ProviderRoute["label"], answer: (path: GeminiPath, ...rest: Parameters<NonNullable<ProviderRoute["answerLocally"]>>) => Promise<number>): ProviderRoute {
  return {
    label,
    read: () => Promise.reject(new Error("answered locally")),
    plan: () => ({ ok: false, detail: "answered locally" }),
    answerLocally(req, res, requestId) {
      const path = pathOf(req.method, req.url) as GeminiPath;
      return answer(path, req, res, requestId);
    },
  };
}

const ROUTES = {
  generate: forwarded("gemini_generate"),
  stream: forwarded("gemini_stream"),
  count_tokens: forwarded("gemini_count_tokens"),
  models: local("gemini_models", (path, req, res, requestId) => answerModels(req, res, requestId, path.api === "gemini" ? path.model : "")),
  codeAssistGenerate: forwarded("code_assist_generate"),
  codeAssistStream: forwarded("code_assist_stream"),
  codeAssistCountTokens: forwarded("code_assist_count_tokens"),
  housekeeping: local("code_assist_housekeeping", (path, req, res, requestId) => answerHousekeeping(req, res, requestId, path.api === "code-assist" ? path.method : "")),
} satisfies Record<string, ProviderRoute>;

/** Creates the Gemini provider. */
export function createGeminiProvider(): RelayProvider {
  return {
    name: "gemini",
    platform: Platform.GEMINI,
    match(method, path) {
      const matched = geminiPathOf(method, path);
      if (matched === undefined) return undefined;
      if (matched.api === "gemini") return ROUTES[matched.endpoint];
      switch (matched.endpoint) {
        case "generate":
          return ROUTES.codeAssistGenerate;
        case "stream":
          return ROUTES.codeAssistStream;
        case "count_tokens":
          return ROUTES.codeAssistCountTokens;
        case "housekeeping":
          return ROUTES.housekeeping;
      }
    },
    owns: isGeminiPath,
    clientKey: (req) => geminiClientKeyOf(req, req.url ?? "/"),
    errorResponse: toGoogleError,
    streamError: (kind) => (kind === "interrupted" ? INTERRUPTED : SHUTTING_DOWN),
    // Gemini clients read every event as a chunk; a keep-alive of the relay's own could only confuse them.
    pingEvent: undefined,
  };
}

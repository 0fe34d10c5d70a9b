/**
 * Where Gemini clients call: the Gemini API under `/v1beta/…` (what the
 * `@google/genai` SDK calls when its base URL is the relay's root) and under
 * `/gemini/v1beta/…` (the Gemini CLI's `GOOGLE_GEMINI_BASE_URL` pointed at
 * `<relay>/gemini`), and the Code Assist API under `/v1internal:<method>` and
 * `/gemini/v1internal:<method>` (the CLI's Google-login mode, with
 * `CODE_ASSIST_ENDPOINT` at the relay). Pure: a method and a path in, the
 * endpoint and the model the path names out.
 */

/** A Gemini API endpoint (`models/{model}:<method>` and the model listing). */
export type GeminiApiEndpoint = "generate" | "stream" | "count_tokens" | "models";

/** A Code Assist endpoint: the three the relay forwards, and the housekeeping calls it answers itself. */
export type CodeAssistEndpoint = "generate" | "stream" | "count_tokens" | "housekeeping";

/** A matched Gemini path. */
export type GeminiPath =
  | { api: "gemini"; endpoint: GeminiApiEndpoint; model: string }
  | { api: "code-assist"; endpoint: CodeAssistEndpoint; method: string };

const MODEL_METHODS: Readonly<Record<string, GeminiApiEndpoint>> = {
  generateContent: "generate",
  streamGenerateContent: "stream",
  countTokens: "count_tokens",
};

const CODE_ASSIST_METHODS: Readonly<Record<string, CodeAssistEndpoint>> = {
  generateContent: "generate",
  streamGenerateContent: "stream",
  countTokens: "count_tokens",
  // What the Gemini CLI asks before and around its first prompt; answered by the relay.
  loadCodeAssist: "housekeeping",
  onboardUser: "housekeeping",
  retrieveUserQuota: "housekeeping",
  listExperiments: "housekeeping",
  getCodeAssistGlobalUserSetting: "housekeeping",
  setCodeAssistGlobalUserSetting: "housekeeping",
  recordCodeAssistMetrics: "housekeeping",
  fetchAdminControls: "housekeeping",
};

/** True for a path under a Gemini front door, matched or not (its errors come in Google's shape). */
export function isGeminiPath(path: string): boolean {
  return path.startsWith("/gemini/") || path.startsWith("/v1beta/") || path.startsWith("/v1internal:");
}

/** The Gemini endpoint of a request, or undefined; `path` has no query string. */
export function geminiPathOf(method: string, path: string): GeminiPath | undefined {
  const rest = path.startsWith("/gemini/") ? path.slice(7) : path;
  if (rest.startsWith("/v1beta/models")) return apiPathOf(method, rest.slice(14));
  if (rest.startsWith("/v1internal:") && method === "POST") {
    const name = rest.slice(12);
    const endpoint = Object.hasOwn(CODE_ASSIST_METHODS, name) ? CODE_ASSIST_METHODS[name] : undefined;
    return endpoint === undefined ? undefined : { api: "code-assist", endpoint, method: name };
  }
  return undefined;
}

/** `rest` is what follows `/v1beta/models`. */
function apiPathOf(method: string, rest: string): GeminiPath | undefined {
  if (method === "GET") {
    if (rest === "") return { api: "gemini", endpoint: "models", model: "" };
    const model = rest.startsWith("/") ? decodeSegment(rest.slice(1)) : undefined;
    return model && !model.includes("/") && !model.includes(":") ? { api: "gemini", endpoint: "models", model } : undefined;
  }
  if (method !== "POST" || !rest.startsWith("/")) return undefined;
  const colon = rest.lastIndexOf(":");
  if (colon < 2) return undefined;
  const name = rest.slice(colon + 1);
  const endpoint = Object.hasOwn(MODEL_METHODS, name) ? MODEL_METHODS[name] : undefined;
  const model = decodeSegment(rest.slice(1, colon));
  if (endpoint === undefined || !model || model.includes("/")) return undefined;
  return { api: "gemini", endpoint, model };
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

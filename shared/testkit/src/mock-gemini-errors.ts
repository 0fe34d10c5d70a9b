/**
 * Error bodies in Google's shape (`{"error":{"code","message","status","details"?}}`, AIP-193,
 * https://google.aip.dev/193) with the messages and details the real services send, for the Gemini
 * API (generativelanguage.googleapis.com) and the Code Assist API (cloudcode-pa.googleapis.com).
 * When an error is sent, and how, is left to the route modules.
 *
 * Sources of the texts and details, as seen in client bug reports quoting the services' bodies:
 * a wrong API key (400 API_KEY_INVALID + LocalizedMessage: continuedev/continue#8516), no key at all
 * (403 "Method doesn't allow unregistered callers": googleapis/js-genai#898), Gemini API quotas
 * (QuotaFailure + Help + RetryInfo: langextract#50, python-genai#2044), a Code Assist project the
 * caller may not use (403 IAM_PERMISSION_DENIED: google-gemini/gemini-cli#26405), Code Assist quotas
 * (ErrorInfo RATE_LIMIT_EXCEEDED / QUOTA_EXHAUSTED in the cloudcode-pa domain, read by the CLI's
 * packages/core/src/utils/googleQuotaErrors.ts), bad OAuth tokens (401 ACCESS_TOKEN_TYPE_UNSUPPORTED).
 */

/** Which Google API an error comes from; their texts and details differ. */
export type MockGoogleApi = "gemini" | "code-assist";

/** One Google error, before it is written. */
export interface GoogleErrorSpec {
  code: number;
  status?: string;
  message?: string;
  details?: unknown[];
}

const RPC_STATUS: Readonly<Record<number, string>> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  501: "NOT_IMPLEMENTED",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

const OAUTH_HINT =
  "Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";

const DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
  INVALID_ARGUMENT: "Request contains an invalid argument.",
  FAILED_PRECONDITION: "Precondition check failed.",
  UNAUTHENTICATED: `Request had invalid authentication credentials. ${OAUTH_HINT}`,
  PERMISSION_DENIED: "The caller does not have permission",
  NOT_FOUND: "Requested entity was not found.",
  RESOURCE_EXHAUSTED: "Resource has been exhausted (e.g. check quota).",
  CANCELLED: "The operation was cancelled.",
  INTERNAL: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
  UNAVAILABLE: "The model is overloaded. Please try again later.",
  DEADLINE_EXCEEDED: "Deadline expired before operation could complete.",
};

/** The canonical status name Google pairs with an HTTP status (UNKNOWN for any it does not list). */
export function rpcStatusFor(httpStatus: number): string {
  return RPC_STATUS[httpStatus] ?? "UNKNOWN";
}

/**
 * The pretty-printed body; `inArray` wraps it in a one-element JSON array, as the services do on
 * streaming methods (Gemini API without alt=sse, Code Assist always).
 */
export function googleErrorJson(spec: GoogleErrorSpec, inArray = false): string {
  const status = spec.status ?? rpcStatusFor(spec.code);
  const error: Record<string, unknown> = { code: spec.code, message: spec.message ?? DEFAULT_MESSAGES[status] ?? "Unknown error.", status };
  if (spec.details && spec.details.length > 0) error.details = spec.details;
  const json = JSON.stringify({ error }, null, 2);
  return inArray ? `[${json}\n]` : json;
}

/** A google.rpc.ErrorInfo detail. */
export function errorInfo(reason: string, domain: string, metadata?: Record<string, string>): Record<string, unknown> {
  return { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason, domain, ...(metadata ? { metadata } : {}) };
}

/** A google.rpc.RetryInfo detail; the delay is a protobuf Duration in JSON ("17s"). */
export function retryInfo(seconds: number): Record<string, unknown> {
  return { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${seconds}s` };
}

/** 400 for a key the service does not know. */
export function apiKeyInvalidError(): GoogleErrorSpec {
  const message = "API key not valid. Please pass a valid API key.";
  return {
    code: 400,
    message,
    details: [
      errorInfo("API_KEY_INVALID", "googleapis.com", { service: "generativelanguage.googleapis.com" }),
      { "@type": "type.googleapis.com/google.rpc.LocalizedMessage", locale: "en-US", message },
    ],
  };
}

/** 403 for a call that carries no key at all (Google answers "unregistered callers", not 401). */
export function apiKeyMissingError(): GoogleErrorSpec {
  return {
    code: 403,
    message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  };
}

/** 401 for a Code Assist call without a Bearer token (`missing`) or with one the service does not accept. */
export function bearerRefusedError(missing: boolean, method: string): GoogleErrorSpec {
  const metadata = { service: "cloudcode-pa.googleapis.com", method: `google.internal.cloud.code.v1internal.CloudCode.${method.charAt(0).toUpperCase()}${method.slice(1)}` };
  return missing
    ? { code: 401, message: `Request is missing required authentication credential. ${OAUTH_HINT}`, details: [errorInfo("CREDENTIALS_MISSING", "googleapis.com", metadata)] }
    : { code: 401, message: `Request had invalid authentication credentials. ${OAUTH_HINT}`, details: [errorInfo("ACCESS_TOKEN_TYPE_UNSUPPORTED", "googleapis.com", metadata)] };
}

/** 403 for a Code Assist project the caller may not use. */
export function projectDeniedError(project: string): GoogleErrorSpec {
  const permission = "cloudaicompanion.companions.generateChat";
  const resource = `projects/${project}/locations/global`;
  return {
    code: 403,
    message: `Permission '${permission}' denied on resource '//cloudaicompanion.googleapis.com/${resource}' (or it may not exist).`,
    details: [errorInfo("IAM_PERMISSION_DENIED", "cloudaicompanion.googleapis.com", { resource, permission })],
  };
}

/** 404 for a model the service does not serve. */
export function modelNotFoundError(api: MockGoogleApi, model: string, method: string): GoogleErrorSpec {
  if (api === "code-assist") return { code: 404, message: "Requested entity was not found." };
  return {
    code: 404,
    message: `models/${model} is not found for API version v1beta, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
  };
}

/** 400 for a body that is not JSON (or not an object). */
export function invalidJsonError(): GoogleErrorSpec {
  return { code: 400, message: "Invalid JSON payload received. Unexpected token." };
}

/** 400 for a field the request message does not have (proto JSON parsing refuses unknown names). */
export function unknownFieldError(name: string): GoogleErrorSpec {
  const message = `Invalid JSON payload received. Unknown name "${name}": Cannot find field.`;
  return { code: 400, message, details: [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ description: message }] }] };
}

/** 400 for a request without contents. */
export function contentsMissingError(): GoogleErrorSpec {
  return { code: 400, message: "* GenerateContentRequest.contents: contents is not specified\n" };
}

/** How long a quota lasts, as the quota id and the client's classification read it. */
export type MockQuotaWindow = "per-minute" | "per-day";

/**
 * 429 RESOURCE_EXHAUSTED. The Gemini API names the quota in a QuotaFailure (the CLI treats a quota id
 * with "PerDay" as terminal, one with "PerMinute" as retryable after RetryInfo's delay); Code Assist
 * names it in an ErrorInfo reason (RATE_LIMIT_EXCEEDED, QUOTA_EXHAUSTED).
 */
export function rateLimitError(api: MockGoogleApi, window: MockQuotaWindow, model: string, retryDelaySeconds: number): GoogleErrorSpec {
  if (api === "code-assist") {
    if (window === "per-minute") {
      return { code: 429, details: [errorInfo("RATE_LIMIT_EXCEEDED", "cloudcode-pa.googleapis.com", { model }), retryInfo(retryDelaySeconds)] };
    }
    const reset = new Date(Date.now() + retryDelaySeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    return {
      code: 429,
      message: `You have exhausted your capacity on this model. Your quota will reset after ${retryDelaySeconds}s.`,
      details: [
        errorInfo("QUOTA_EXHAUSTED", "cloudcode-pa.googleapis.com", { uiMessage: "true", model, quotaResetDelay: `${retryDelaySeconds}s`, quotaResetTimeStamp: reset }),
        retryInfo(retryDelaySeconds),
      ],
    };
  }
  const perDay = window === "per-day";
  const quotaId = perDay ? "GenerateRequestsPerDayPerProjectPerModel-FreeTier" : "GenerateRequestsPerMinutePerProjectPerModel-FreeTier";
  const limit = perDay ? "100" : "5";
  const metric = "generativelanguage.googleapis.com/generate_content_free_tier_requests";
  return {
    code: 429,
    message:
      "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n" +
      `* Quota exceeded for metric: ${metric}, limit: ${limit}, model: ${model}\nPlease retry in ${retryDelaySeconds}s.`,
    details: [
      { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ quotaMetric: metric, quotaId, quotaDimensions: { location: "global", model }, quotaValue: limit }] },
      { "@type": "type.googleapis.com/google.rpc.Help", links: [{ description: "Learn more about Gemini API quotas", url: "https://ai.google.dev/gemini-api/docs/rate-limits" }] },
      retryInfo(retryDelaySeconds),
    ],
  };
}

/** The domain an ErrorInfo of a scripted error carries. */
export function errorDomain(api: MockGoogleApi): string {
  return api === "code-assist" ? "cloudcode-pa.googleapis.com" : "generativelanguage.googleapis.com";
}

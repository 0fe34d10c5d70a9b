/**
 * Finds the Code Assist project a Google account's requests must name, the
 * way the Gemini CLI sets a user up (gemini-cli,
 * packages/core/src/code_assist/setup.ts `setupUser`, server.ts, types.ts):
 * `POST {base}/v1internal:loadCodeAssist` with the client metadata; a
 * `cloudaicompanionProject` in the answer is the project. An account not yet
 * onboarded (no `currentTier`) is onboarded with `POST
 * {base}/v1internal:onboardUser` on the default allowed tier (free tier when
 * none is marked default), and the long-running operation is polled (`GET
 * {base}/v1internal/{name}`) until done, a bounded number of times; its
 * `response.cloudaicompanionProject.id` is the project.
 *
 * Every call carries the account's Bearer token and goes through its proxy.
 * A failure is a value with a short reason made of method names, statuses,
 * Google status names and reason codes: never a token, a proxy password or
 * free text from the answer.
 */
import { type Dispatcher, fetch as undiciFetch } from "undici";
import { describeCallFailure, parseObject, safeToken } from "../../accounts/call-failure.js";
import { withProxy } from "../../accounts/proxy-dispatcher.js";
import { upstreamUrl } from "../account-provider.js";
import { isProjectId } from "../account-types.js";

/** Client metadata as the Gemini CLI sends it (setup.ts, `coreClientMetadata`). */
export const CODE_ASSIST_METADATA = Object.freeze({ ideType: "IDE_UNSPECIFIED", platform: "PLATFORM_UNSPECIFIED", pluginType: "GEMINI" });
/** The tier onboarded when loadCodeAssist marks none as default (types.ts, `UserTierId.FREE`). */
export const FREE_TIER_ID = "free-tier";

/** Who asks, and where. */
export interface CodeAssistTarget {
  /** The Code Assist base URL (no `/v1internal`). */
  baseUrl: string;
  accessToken: string;
  /** The account's proxy; "" for a direct connection. */
  proxyUrl: string;
}

/** The project, and whether onboarding made it; or why not. */
export type ProjectResult = { ok: true; projectId: string; onboarded: boolean } | { ok: false; reason: string };

/** Options of findCodeAssistProject. */
export interface CodeAssistOptions {
  /** Each call fails after this long (default 15 s). */
  timeoutMs?: number;
  /** Wait between polls of the onboarding operation (default 5 s, as the CLI waits). */
  pollIntervalMs?: number;
  /** Polls before giving up (default 12: a minute at the default interval). */
  maxPolls?: number;
  fetch?: typeof undiciFetch;
  sleep?: (ms: number) => Promise<void>;
}

type CallResult = { ok: true; json: Record<string, unknown> } | { ok: false; reason: string };

/** The account's Code Assist project, onboarding the account first when it has none. */
export function findCodeAssistProject(target: CodeAssistTarget, options: CodeAssistOptions = {}): Promise<ProjectResult> {
  return withProxy(target.proxyUrl, (dispatcher) => find(target, options, dispatcher));
}

async function find(target: CodeAssistTarget, options: CodeAssistOptions, dispatcher: Dispatcher | undefined): Promise<ProjectResult> {
  const { pollIntervalMs = 5_000, maxPolls = 12 } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const call = (method: string, body?: object) => callCodeAssist(target, method, body, options, dispatcher);

  const loaded = await call(":loadCodeAssist", { metadata: CODE_ASSIST_METADATA });
  if (!loaded.ok) return loaded;
  const project = projectOf(loaded.json.cloudaicompanionProject);
  if (project !== undefined) return project === "" ? unusable("loadCodeAssist") : { ok: true, projectId: project, onboarded: false };
  // Onboarded already, on a tier whose project the user chooses: only the admin can name it.
  if (isObject(loaded.json.currentTier)) return { ok: false, reason: `the account's Code Assist tier has no project of its own${ineligible(loaded.json)}; set project_id` };

  const tierId = defaultTier(loaded.json.allowedTiers);
  // The free tier's project is managed by Google: naming one in onboardUser is refused (setup.ts).
  const onboard = { tierId, metadata: CODE_ASSIST_METADATA };
  let operation = await call(":onboardUser", onboard);
  for (let polls = 0; operation.ok && operation.json.done !== true; polls++) {
    if (polls >= maxPolls) return { ok: false, reason: `onboarding on ${safeToken(tierId)} did not finish after ${maxPolls} polls` };
    await sleep(pollIntervalMs);
    const name = typeof operation.json.name === "string" ? operation.json.name : "";
    // An operation without a name is asked for again with the same (idempotent) call.
    operation = isOperationName(name) ? await call(`/${name}`) : await call(":onboardUser", onboard);
  }
  if (!operation.ok) return operation;
  if (isObject(operation.json.error)) return { ok: false, reason: `onboarding on ${safeToken(tierId)} failed${googleStatus(operation.json.error)}` };
  const response = isObject(operation.json.response) ? operation.json.response : {};
  const onboarded = isObject(response.cloudaicompanionProject) ? projectOf(response.cloudaicompanionProject.id) : undefined;
  if (onboarded === undefined) return { ok: false, reason: `onboarding on ${safeToken(tierId)} gave no project${ineligible(loaded.json)}; set project_id` };
  return onboarded === "" ? unusable("onboardUser") : { ok: true, projectId: onboarded, onboarded: true };
}

/** One Code Assist call: POST with a body, GET without. */
async function callCodeAssist(
  target: CodeAssistTarget,
  method: string,
  body: object | undefined,
  options: CodeAssistOptions,
  dispatcher: Dispatcher | undefined,
): Promise<CallResult> {
  const fetchFn = options.fetch ?? undiciFetch;
  const label = method.startsWith(":") ? method.slice(1) : "the onboarding operation";
  let response: Awaited<ReturnType<typeof undiciFetch>>;
  try {
    response = await fetchFn(upstreamUrl(target.baseUrl, `v1internal${method}`), {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: `Bearer ${target.accessToken}`, accept: "application/json", ...(body && { "content-type": "application/json" }) },
      ...(body && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      redirect: "manual",
      ...(dispatcher && { dispatcher }),
    });
  } catch (err) {
    return { ok: false, reason: describeCallFailure(err, `Code Assist ${label}`, dispatcher !== undefined).reason };
  }
  const json = parseObject(await response.text().catch(() => ""));
  if (!response.ok) return { ok: false, reason: `${label} answered ${response.status}${googleStatus(json?.error)}` };
  if (json === undefined) return { ok: false, reason: `${label} answered ${response.status} without a JSON object` };
  return { ok: true, json };
}

/** The project id in a field: undefined when absent, "" when present but unusable. */
function projectOf(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  return typeof value === "string" && isProjectId(value) ? value : "";
}

function unusable(method: string): ProjectResult {
  return { ok: false, reason: `${method} returned a project id that is not one` };
}

/** The id of the tier marked default among the allowed ones, else the free tier. */
function defaultTier(allowed: unknown): string {
  const tiers = Array.isArray(allowed) ? allowed.filter(isObject) : [];
  const id = tiers.find((t) => t.isDefault === true)?.id;
  return typeof id === "string" && id !== "" ? id : FREE_TIER_ID;
}

/** ` (reason codes of the tiers the account may not use)`, or "". */
function ineligible(loaded: Record<string, unknown>): string {
  const tiers = Array.isArray(loaded.ineligibleTiers) ? loaded.ineligibleTiers.filter(isObject) : [];
  const codes = tiers.map((t) => (typeof t.reasonCode === "string" ? safeToken(t.reasonCode) : "")).filter(Boolean);
  return codes.length > 0 ? ` (ineligible: ${[...new Set(codes)].join(", ")})` : "";
}

/** `: STATUS` from a Google error object, or "". */
function googleStatus(error: unknown): string {
  const status = isObject(error) && typeof error.status === "string" ? safeToken(error.status) : "";
  return status ? `: ${status}` : "";
}

/** An operation name as Google returns it ("operations/…"): no query, no climbing out of the API path. */
function isOperationName(name: string): boolean {
  return /^[A-Za-z0-9_/.-]{1,256}$/.test(name) && !name.split("/").includes("..") && !name.startsWith("/");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

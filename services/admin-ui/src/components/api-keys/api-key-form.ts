/**
 * The API key dialog's form state and the requests made from it. Create sends
 * every setting. Update sends only what changed: a list or a limit group is
 * sent whole when any part of it changed (the API replaces it), and the
 * binding is sent as both fields, since setting either replaces the binding.
 * Spans (rate window, expiry after first use) are edited as a number and a unit.
 * The platforms and per-platform groups are shaped in api-key-platforms.ts,
 * the wait for a free slot in api-key-queue-wait.ts.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { ApiKey, CreateApiKeyRequestSchema, UpdateApiKeyRequestSchema } from "@claude-relay/proto/admin";
import {
  emptyPlatformScope,
  platformGroupList,
  platformList,
  platformScopeChanges,
  platformScopeProblem,
  scopeFromApiKey,
  type PlatformScope,
} from "./api-key-platforms.js";
import { queueWaitCreateField, queueWaitProblem, queueWaitSecondsOf, queueWaitUpdateFields } from "./api-key-queue-wait.js";

/** Units a span is edited in. */
export type SpanUnit = "seconds" | "minutes" | "hours" | "days";

/** Seconds in each unit, largest last. */
export const SPAN_UNITS: Readonly<Record<SpanUnit, number>> = { seconds: 1, minutes: 60, hours: 3_600, days: 86_400 };

/** What the key is served by: the whole pool, one account, or one group's accounts. */
export type BindingKind = "none" | "account" | "group";

/** What the key dialog edits. Numbers are null while their input is cleared (read as 0). */
export interface ApiKeyFormState extends PlatformScope {
  name: string;
  enabled: boolean;
  concurrencyLimit: number | null;
  allowedModels: string[];
  /** User-Agent patterns, e.g. "claude-cli/*". */
  allowedClients: string[];
  /** Fixed expiry (ms since the epoch), or null for none. */
  expiresAtMs: number | null;
  expireAfterFirstUse: number | null;
  expireAfterFirstUseUnit: SpanUnit;
  bindingKind: BindingKind;
  boundAccountId: string;
  boundGroup: string;
  rateWindow: number | null;
  rateWindowUnit: SpanUnit;
  rateMaxRequests: number | null;
  rateMaxTokens: number | null;
  dailyUsd: number | null;
  totalUsd: number | null;
  weeklyOpusUsd: number | null;
  /** Seconds a request may wait for a free slot; null (an empty input) keeps the default, unlike the numbers above. */
  queueWaitSeconds: number | null;
}

/** `seconds` in the largest unit that divides it evenly; 0 reads as 0 hours. */
export function splitSeconds(seconds: number): { value: number; unit: SpanUnit } {
  if (seconds <= 0) return { value: 0, unit: "hours" };
  for (const unit of ["days", "hours", "minutes"] as const) {
    if (seconds % SPAN_UNITS[unit] === 0) return { value: seconds / SPAN_UNITS[unit], unit };
  }
  return { value: seconds, unit: "seconds" };
}

/** A span in whole seconds. */
export function toSeconds(value: number | null, unit: SpanUnit): number {
  return Math.round((value ?? 0) * SPAN_UNITS[unit]);
}

/** A blank form for a new key: enabled, no limits, the whole pool of every platform. */
export function emptyApiKeyForm(): ApiKeyFormState {
  return {
    ...emptyPlatformScope(),
    name: "",
    enabled: true,
    concurrencyLimit: 0,
    allowedModels: [],
    allowedClients: [],
    expiresAtMs: null,
    expireAfterFirstUse: 0,
    expireAfterFirstUseUnit: "days",
    bindingKind: "none",
    boundAccountId: "",
    boundGroup: "",
    rateWindow: 0,
    rateWindowUnit: "hours",
    rateMaxRequests: 0,
    rateMaxTokens: 0,
    dailyUsd: 0,
    totalUsd: 0,
    weeklyOpusUsd: 0,
    queueWaitSeconds: null,
  };
}

/** The form for editing `key`. */
export function formFromApiKey(key: ApiKey): ApiKeyFormState {
  const window = splitSeconds(key.rateLimit?.windowSeconds ?? 0);
  const firstUse = splitSeconds(key.expireAfterFirstUseSeconds);
  return {
    ...scopeFromApiKey(key),
    name: key.name,
    enabled: key.enabled,
    concurrencyLimit: key.concurrencyLimit,
    allowedModels: [...key.allowedModels],
    allowedClients: [...key.allowedClients],
    expiresAtMs: key.expiresAt ? timestampMs(key.expiresAt) : null,
    expireAfterFirstUse: firstUse.value,
    expireAfterFirstUseUnit: key.expireAfterFirstUseSeconds > 0 ? firstUse.unit : "days",
    bindingKind: key.boundAccountId !== "" ? "account" : key.boundGroup !== "" ? "group" : "none",
    boundAccountId: key.boundAccountId,
    boundGroup: key.boundGroup,
    rateWindow: window.value,
    rateWindowUnit: window.unit,
    rateMaxRequests: key.rateLimit?.maxRequests ?? 0,
    rateMaxTokens: Number(key.rateLimit?.maxTokens ?? 0n),
    dailyUsd: key.costLimits?.dailyUsd ?? 0,
    totalUsd: key.costLimits?.totalUsd ?? 0,
    weeklyOpusUsd: key.costLimits?.weeklyOpusUsd ?? 0,
    queueWaitSeconds: queueWaitSecondsOf(key),
  };
}

function cleanList(items: readonly string[]): string[] {
  return items.map((item) => item.trim()).filter((item) => item !== "");
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function binding(form: ApiKeyFormState): { boundAccountId: string; boundGroup: string } {
  if (form.bindingKind === "account") return { boundAccountId: form.boundAccountId.trim(), boundGroup: "" };
  if (form.bindingKind === "group") return { boundAccountId: "", boundGroup: form.boundGroup.trim() };
  return { boundAccountId: "", boundGroup: "" };
}

function rateLimit(form: ApiKeyFormState) {
  return {
    windowSeconds: toSeconds(form.rateWindow, form.rateWindowUnit),
    maxRequests: form.rateMaxRequests ?? 0,
    maxTokens: BigInt(Math.round(form.rateMaxTokens ?? 0)),
  };
}

function costLimits(form: ApiKeyFormState) {
  return { dailyUsd: form.dailyUsd ?? 0, totalUsd: form.totalUsd ?? 0, weeklyOpusUsd: form.weeklyOpusUsd ?? 0 };
}

/** The CreateApiKey request for the form. */
export function toCreateApiKeyRequest(form: ApiKeyFormState): MessageInitShape<typeof CreateApiKeyRequestSchema> {
  return {
    name: form.name.trim(),
    concurrencyLimit: form.concurrencyLimit ?? 0,
    allowedModels: cleanList(form.allowedModels),
    allowedClients: cleanList(form.allowedClients),
    ...(form.expiresAtMs !== null && { expiresAt: timestampFromMs(form.expiresAtMs) }),
    expireAfterFirstUseSeconds: toSeconds(form.expireAfterFirstUse, form.expireAfterFirstUseUnit),
    ...binding(form),
    rateLimit: rateLimit(form),
    costLimits: costLimits(form),
    platforms: platformList(form),
    platformGroups: platformGroupList(form),
    ...queueWaitCreateField(form.queueWaitSeconds),
  };
}

/** The UpdateApiKey request carrying only what differs from `key`. */
export function toUpdateApiKeyRequest(form: ApiKeyFormState, key: ApiKey): MessageInitShape<typeof UpdateApiKeyRequestSchema> {
  const req: MessageInitShape<typeof UpdateApiKeyRequestSchema> = { id: key.id };
  const name = form.name.trim();
  if (name !== key.name) req.name = name;
  if (form.enabled !== key.enabled) req.enabled = form.enabled;
  const concurrencyLimit = form.concurrencyLimit ?? 0;
  if (concurrencyLimit !== key.concurrencyLimit) req.concurrencyLimit = concurrencyLimit;
  const expiresAtMs = key.expiresAt ? timestampMs(key.expiresAt) : null;
  if (form.expiresAtMs !== expiresAtMs) {
    if (form.expiresAtMs === null) req.clearExpiresAt = true;
    else req.expiresAt = timestampFromMs(form.expiresAtMs);
  }
  const firstUse = toSeconds(form.expireAfterFirstUse, form.expireAfterFirstUseUnit);
  if (firstUse !== key.expireAfterFirstUseSeconds) req.expireAfterFirstUseSeconds = firstUse;
  const models = cleanList(form.allowedModels);
  if (!sameList(models, key.allowedModels)) req.allowedModels = { models };
  const clients = cleanList(form.allowedClients);
  if (!sameList(clients, key.allowedClients)) req.allowedClients = { patterns: clients };
  const rate = rateLimit(form);
  const oldRate = key.rateLimit;
  if (rate.windowSeconds !== (oldRate?.windowSeconds ?? 0) || rate.maxRequests !== (oldRate?.maxRequests ?? 0) || rate.maxTokens !== (oldRate?.maxTokens ?? 0n)) {
    req.rateLimit = rate;
  }
  const cost = costLimits(form);
  const oldCost = key.costLimits;
  if (cost.dailyUsd !== (oldCost?.dailyUsd ?? 0) || cost.totalUsd !== (oldCost?.totalUsd ?? 0) || cost.weeklyOpusUsd !== (oldCost?.weeklyOpusUsd ?? 0)) {
    req.costLimits = cost;
  }
  const bound = binding(form);
  if (bound.boundAccountId !== key.boundAccountId || bound.boundGroup !== key.boundGroup) Object.assign(req, bound);
  return Object.assign(req, platformScopeChanges(form, key), queueWaitUpdateFields(form.queueWaitSeconds, key));
}

/** Why the form cannot be sent as it is, as a message key; undefined when the server can have it. */
export function apiKeyFormProblem(form: ApiKeyFormState): string | undefined {
  return platformScopeProblem(form) ?? queueWaitProblem(form.queueWaitSeconds);
}

/**
 * The lease service's messages in and out of the domain: a proto request
 * checked and turned into the domain's input (INVALID_ARGUMENT through
 * InvalidRequestError when a field is out of bounds or names a value this
 * version does not know), and a domain answer turned into its proto response.
 * lease-calls.ts runs the calls between the two.
 */
import { create } from "@bufbuild/protobuf";
import {
  AccountSignal,
  AcquireResponseSchema,
  CheckKeyResponseSchema,
  CredentialKind,
  GetKeyUsageResponseSchema,
  ListModelsResponseSchema,
  OutcomeKind,
  Platform,
  RefusalReason,
  type AcquireRequest,
  type AcquireResponse,
  type CheckKeyResponse,
  type GetKeyUsageResponse,
  type ListModelsResponse,
  type ReleaseRequest,
  UpstreamAccountType,
} from "@claude-relay/proto/lease";
import type { AccountRecord } from "../accounts/account-store.js";
import { isRateLimitHeader } from "../accounts/rate-limit-headers.js";
import { assertNever, InvalidRequestError } from "../errors.js";
import type { KeyCheckResult } from "../keys/check-key.js";
import type { KeyUsageResult } from "../keys/key-usage.js";
import type { AcquireInput, AcquireResult } from "../leases/acquire-lease.js";
import type { ListModelsResult } from "../models/list-models.js";
import type { RefusalCode } from "../leases/refusal.js";
import type { ReleaseInput } from "../leases/release-lease.js";
import type { AccountType, PlatformName } from "../providers/account-types.js";
import { platformFromProto, platformToProto } from "../providers/platform-proto.js";
import { frontDoorOf } from "../usage/front-doors.js";

/** The longest a free-text field (model, request id, client address) may be. */
export const MAX_FIELD = 256;
const MAX_EXCLUDED = 32;
/** The longest a caller may ask to wait in the queue; a larger max_wait_ms is read as this. */
const MAX_WAIT_MS = 10 * 60_000;

/** The platform a request names: unspecified reads as Claude (relays older than the field); undefined for a value this version does not know. */
export function requestedPlatform(platform: Platform): PlatformName | undefined {
  return platform === Platform.UNSPECIFIED ? "claude" : platformFromProto(platform);
}

export function toAcquireInput(req: AcquireRequest, platform: PlatformName | undefined, stop?: { readonly signal: AbortSignal }): AcquireInput {
  if (platform === undefined) throw new InvalidRequestError(`platform ${req.platform} is not one this control plane serves`);
  const keyHash = checkKeyHash(req.keyHash);
  if (req.model.length > MAX_FIELD) throw new InvalidRequestError(`model must be at most ${MAX_FIELD} characters`);
  checkSessionHash(req.sessionHash);
  if (req.excludeAccounts.length > MAX_EXCLUDED || req.excludeAccounts.some((id) => id.length > MAX_FIELD)) {
    throw new InvalidRequestError(`exclude_accounts must hold at most ${MAX_EXCLUDED} ids`);
  }
  return {
    keyHash,
    model: req.model,
    sessionHash: req.sessionHash,
    excludeAccounts: req.excludeAccounts,
    requestId: req.requestId.slice(0, MAX_FIELD),
    userAgent: req.userAgent.slice(0, 2 * MAX_FIELD),
    platform,
    accountTypes: accountTypesOf(req.accountTypes),
    maxWaitMs: Math.min(Math.max(0, req.maxWaitMs), MAX_WAIT_MS),
    // Read only by a request that waits in the queue, so the signal is made only then.
    get signal() {
      return stop?.signal;
    },
  };
}

/** The account types a request is limited to; a value this version does not know is a bad call, never a wider choice. */
function accountTypesOf(types: readonly UpstreamAccountType[]): AccountType[] {
  if (types.length > MAX_EXCLUDED) throw new InvalidRequestError(`account_types must hold at most ${MAX_EXCLUDED} types`);
  return types.map((value) => {
    const type = (Object.keys(UPSTREAM_TYPES) as AccountType[]).find((t) => UPSTREAM_TYPES[t].type === value);
    if (type === undefined) throw new InvalidRequestError(`account type ${value} is not one this control plane serves`);
    return type;
  });
}

/**
 * How the relay calls an account of each type: the protocol its base URL speaks, where the credential goes,
 * and which per-type details travel with it: the Code Assist envelope's project, or the ChatGPT account a
 * Codex backend request names.
 */
const UPSTREAM_TYPES: Readonly<Record<AccountType, { type: UpstreamAccountType; credentialKind: CredentialKind; details?: "codeAssist" | "chatgpt" }>> = Object.freeze({
  "claude-console": { type: UpstreamAccountType.CLAUDE_CONSOLE, credentialKind: CredentialKind.API_KEY },
  "claude-oauth": { type: UpstreamAccountType.CLAUDE_OAUTH, credentialKind: CredentialKind.OAUTH_TOKEN },
  "gemini-api": { type: UpstreamAccountType.GEMINI_API, credentialKind: CredentialKind.GOOGLE_API_KEY },
  "gemini-oauth": { type: UpstreamAccountType.GEMINI_OAUTH, credentialKind: CredentialKind.OAUTH_TOKEN, details: "codeAssist" },
  "openai-api": { type: UpstreamAccountType.OPENAI_API, credentialKind: CredentialKind.BEARER_API_KEY },
  "openai-oauth": { type: UpstreamAccountType.OPENAI_OAUTH, credentialKind: CredentialKind.OAUTH_TOKEN, details: "chatgpt" },
});

/** The fields only some account types have: a Code Assist account's project, a ChatGPT sign-in's account id. */
function accountDetails(account: AccountRecord) {
  switch (UPSTREAM_TYPES[account.type]?.details) {
    case "codeAssist":
      return { case: "codeAssist" as const, value: { projectId: account.projectId } };
    case "chatgpt":
      return { case: "chatgpt" as const, value: { accountId: account.chatgptAccountId ?? "" } };
    default:
      return undefined;
  }
}

export function toAcquireResponse(answer: AcquireResult): AcquireResponse {
  if (!answer.ok) {
    return create(AcquireResponseSchema, {
      result: { case: "refusal", value: { reason: toRefusalReason(answer.reason), message: answer.message, retryAfterMs: answer.retryAfterMs } },
    });
  }
  const { account, credential } = answer;
  const upstream = UPSTREAM_TYPES[account.type];
  const details = accountDetails(account);
  return create(AcquireResponseSchema, {
    result: {
      case: "lease",
      value: {
        leaseId: answer.leaseId,
        ttlMs: answer.ttlMs,
        keyId: answer.keyId,
        account: {
          id: account.id,
          name: account.name,
          baseUrl: account.baseUrl,
          proxyUrl: account.proxyUrl,
          credentialKind: upstream?.credentialKind ?? (credential.kind === "api-key" ? CredentialKind.API_KEY : CredentialKind.OAUTH_TOKEN),
          credential: credential.kind === "api-key" ? credential.apiKey : credential.accessToken,
          type: upstream?.type ?? UpstreamAccountType.UNSPECIFIED,
          ...(details && { details }),
        },
      },
    },
  });
}

function toRefusalReason(reason: RefusalCode): RefusalReason {
  switch (reason) {
    case "KEY_INVALID":
      return RefusalReason.KEY_INVALID;
    case "NOT_ALLOWED":
      return RefusalReason.NOT_ALLOWED;
    case "KEY_LIMIT":
      return RefusalReason.KEY_LIMIT;
    case "NO_ACCOUNT":
      return RefusalReason.NO_ACCOUNT;
    default:
      return assertNever(reason);
  }
}

export function toReleaseInput(req: ReleaseRequest): ReleaseInput {
  const count = (n: number | undefined) => Math.max(0, n ?? 0);
  // Empty from older relays; a name this version does not know is not refused, only not counted per front door.
  const frontDoor = frontDoorOf(req.frontDoor);
  return {
    leaseId: req.leaseId,
    outcome: req.outcome?.kind ?? OutcomeKind.UNSPECIFIED,
    status: req.outcome?.status ?? 0,
    detail: req.outcome?.detail ?? "",
    signal: req.outcome?.signal ?? AccountSignal.UNSPECIFIED,
    model: req.usage?.model ?? "",
    usage: {
      inputTokens: count(req.usage?.inputTokens),
      outputTokens: count(req.usage?.outputTokens),
      cacheCreationInputTokens: count(req.usage?.cacheCreationInputTokens),
      cacheReadInputTokens: count(req.usage?.cacheReadInputTokens),
      cacheCreation1hInputTokens: count(req.usage?.cacheCreation1hInputTokens),
      reasoningTokens: count(req.usage?.reasoningTokens),
    },
    latencyMs: count(req.latencyMs),
    ttfbMs: count(req.ttfbMs),
    sessionHash: checkSessionHash(req.sessionHash),
    headers: accountStateHeaders(req.outcome?.headers ?? {}),
    ...(frontDoor !== undefined && { frontDoor }),
    continuationHashes: checkContinuationHashes(req.continuationHashes),
  };
}

/** The continuation hashes of a Release, bounded like the session hash and the exclusions. */
function checkContinuationHashes(hashes: readonly string[]): readonly string[] {
  if (hashes.length > MAX_EXCLUDED) throw new InvalidRequestError(`continuation_hashes must hold at most ${MAX_EXCLUDED} hashes`);
  for (const hash of hashes) checkSessionHash(hash);
  return hashes;
}

/** The outcome headers account health reads (`retry-after`, `anthropic-ratelimit-*`, `x-codex-*` windows), bounded in number and size. */
function accountStateHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  let kept = 0;
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (!isRateLimitHeader(key)) continue;
    if (key.length > 128 || ++kept > 64) continue;
    out[key] = value.slice(0, MAX_FIELD);
  }
  return out;
}

/** The key hash in lower case; refused unless it is empty (no key, refused as KEY_INVALID) or 64 hex digits. */
export function checkKeyHash(value: string): string {
  const keyHash = value.toLowerCase();
  if (keyHash !== "" && !/^[0-9a-f]{64}$/.test(keyHash)) throw new InvalidRequestError("key_hash must be the hex SHA-256 of the client key");
  return keyHash;
}

export function toGetKeyUsageResponse(answer: KeyUsageResult): GetKeyUsageResponse {
  if (!answer.ok) {
    return create(GetKeyUsageResponseSchema, {
      result: { case: "refusal", value: { reason: toRefusalReason(answer.reason), message: answer.message, retryAfterMs: answer.retryAfterMs } },
    });
  }
  return create(GetKeyUsageResponseSchema, { result: { case: "reportJson", value: JSON.stringify(answer.report) } });
}

export function toListModelsResponse(answer: ListModelsResult): ListModelsResponse {
  if (!answer.ok) {
    return create(ListModelsResponseSchema, {
      result: { case: "refusal", value: { reason: toRefusalReason(answer.reason), message: answer.message, retryAfterMs: answer.retryAfterMs } },
    });
  }
  const models = answer.models.map((m) => ({ id: m.id, platform: platformToProto(m.platform), upstreamModel: m.upstreamModel }));
  return create(ListModelsResponseSchema, { result: { case: "models", value: { models } } });
}

export function toCheckKeyResponse(answer: KeyCheckResult): CheckKeyResponse {
  if (answer.ok) return create(CheckKeyResponseSchema, { result: { case: "accepted", value: { keyId: answer.keyId } } });
  return create(CheckKeyResponseSchema, { result: { case: "refusal", value: { reason: toRefusalReason(answer.reason), message: answer.message } } });
}

function checkSessionHash(sessionHash: string): string {
  if (sessionHash.length > MAX_FIELD) throw new InvalidRequestError(`session_hash must be at most ${MAX_FIELD} characters`);
  return sessionHash;
}

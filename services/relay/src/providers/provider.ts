/**
 * The seam between the relay's core and the providers it serves (DESIGN.md,
 * "Providers"). The core — read → Acquire → upstream → stream back → Release,
 * failover, pools, pings, abort on hang-up, drain, the one log line, metrics —
 * is one piece of code; everything that differs between providers is
 * behind the two interfaces here:
 *
 * - a RelayProvider owns a front door: its routes, its error shape, how a
 *   broken stream is ended, its keep-alive;
 * - a ProviderRoute owns one endpoint: how its request is read (key, model,
 *   stream flag, session hint) and how it is sent to a leased account, with a
 *   translator when the account speaks another protocol than the client;
 * - an UpstreamProtocol owns what an account's answers mean: which statuses
 *   fail over, how usage and account state are read off them.
 *
 * Providers are registered in one place (registry.ts). Nothing in the core asks
 * which provider it is running.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AccountSignal, Platform, UpstreamAccount, UpstreamAccountType } from "@claude-relay/proto/lease";
import type { RelayFailure } from "../errors.js";
import type { RouteLabel } from "../relay-metrics.js";
import type { UpstreamRequest } from "../upstream/forward.js";

/** Response headers as undici and node:http give them. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** A relay-generated answer in a front door's shape, ready to write. */
export interface ErrorResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** Token counts read off one answer, in the contract's terms (input never includes cache reads). */
export interface TapUsage {
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  cacheCreation1hInputTokens?: number;
  /** Of outputTokens, those spent thinking. */
  reasoningTokens?: number;
}

/** What an answer says about the account beyond its status (a Gemini 429's RetryInfo, say). */
export interface AccountHints {
  signal: AccountSignal;
  /** When the account may be used again, from now; 0 when the answer did not say. */
  retryAfterMs: number;
  /** Short, secret-free, e.g. "per-day quota exhausted". */
  detail: string;
}

/** Reads usage (and, on an error answer, the account hints) off a response while its bytes pass. */
export interface UsageTap {
  push(chunk: Buffer): void;
  /** Call once the body ended; the readings are final after it resolves. */
  end(): Promise<void>;
  readonly usage: TapUsage;
  /** For a stream: true once it ended the way a complete answer does. Always true for a JSON body. */
  readonly complete: boolean;
  /** For a stream: the error event it carried, if any. */
  readonly errorEvent: { type: string; message: string } | undefined;
  /** Read off an error answer's body; undefined when it said nothing the status does not. */
  readonly hints?: AccountHints | undefined;
  /**
   * An id the answer opened that a later request may name to continue it (an
   * OpenAI response id, sent back as `previous_response_id`); undefined when
   * it opened none. Release binds its hash (continuationHash) to the account.
   */
  readonly continuation?: string | undefined;
}

/** The status and headers of the answer a tap reads. */
export interface TapAnswer {
  status: number;
  headers: ResponseHeaders;
}

/** Maps an upstream answer, chunk by chunk, to the protocol the client speaks. */
export interface ResponseTranslator {
  /** The client's response headers for the upstream's (content-length dropped, content type set). */
  headers(status: number, upstream: ResponseHeaders): ResponseHeaders;
  /** The client's bytes for the next upstream chunk; empty while an event is incomplete. */
  push(chunk: Buffer): Buffer;
  /** The client's last bytes once the upstream body ended. */
  end(): Buffer;
}

/**
 * What the account's protocol says about its answers, whichever front door the
 * client came in on: which statuses another account might not share (so they
 * are held back for failover), how usage and account hints are read off the
 * bytes, and which response headers describe the account's state.
 */
export interface UpstreamProtocol {
  /** True for an upstream status another account may not share (failover). */
  isFailoverStatus(status: number): boolean;
  /** The side reader for an answer with these headers (the whole answer head too, for protocols whose hints need it). */
  createTap(contentType: string | undefined, contentEncoding: string | undefined, answer?: TapAnswer): UsageTap;
  /**
   * The response headers that describe the account's state, for Release (lower-case names):
   * with an error status those a reset may be in, with a success only windows.
   */
  accountHeaders(headers: ResponseHeaders, success: boolean): Record<string, string>;
}

/** How one request goes to one leased account. */
export interface UpstreamPlan {
  method: "POST" | "GET";
  /** The protocol the account speaks. */
  protocol: UpstreamProtocol;
  request: UpstreamRequest;
  /** The bytes to send; undefined for a GET. */
  body: Buffer | undefined;
  /** Absent when the client and the account speak the same protocol: the bytes pass unchanged. */
  translator?: ResponseTranslator;
}

/** A plan, or why the account cannot be called. */
export type PlanResult = { ok: true; plan: UpstreamPlan } | { ok: false; detail: string };

/** A request read off the wire, ready for Acquire and the upstream call. */
export interface ApiRequest {
  /** The body exactly as received; empty for a GET. */
  body: Buffer;
  /** The model the request names; empty when it names none (a listing). */
  model: string;
  stream: boolean;
  /** SHA-256 hex of the session identity; empty for none. */
  sessionHash: string;
  /** SHA-256 hex of the client's key. */
  keyHash: string;
  /** The client's path and query, as received. */
  url: string;
  /** The platform Acquire asks for, when the request decides it (by its model); else the provider's. */
  platform?: Platform;
  /** When set, only accounts of these types may serve the request (Acquire's filter). */
  accountTypes?: readonly UpstreamAccountType[];
  /** What the route prepared at read time for its plan (a translated body, say); opaque to the core. */
  prepared?: unknown;
}

/** What reading gave: the request, a failure to answer with, or nothing because the client went away. */
export type ReadRequestResult = { ok: true; request: ApiRequest } | { ok: false; failure: RelayFailure } | { ok: false; failure: null };

/** Limits applied while reading. */
export interface ReadRequestOptions {
  maxBodyBytes: number;
}

/** One endpoint of a front door. */
export interface ProviderRoute {
  /** Its label in metrics. */
  readonly label: RouteLabel;
  /** Reads and checks the request; every refusal drains the body first. */
  read(req: IncomingMessage, options: ReadRequestOptions): Promise<ReadRequestResult>;
  /** How to send `request` to `account`; the client's credentials never go upstream. */
  plan(account: UpstreamAccount, request: ApiRequest, req: IncomingMessage): PlanResult;
  /**
   * Set for endpoints the relay answers itself, without a lease (the Code Assist
   * housekeeping calls); resolves to the status written.
   */
  answerLocally?(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<number>;
}

/** A front door and the upstream accounts behind it. */
export interface RelayProvider {
  /** Its name in logs and metrics. */
  readonly name: string;
  /** The platform Acquire asks for. */
  readonly platform: Platform;
  /** The route of a request (`path` without its query), or undefined when this provider serves none. */
  match(method: string, path: string): ProviderRoute | undefined;
  /** True when a path no route matched is still under this front door, so its 404 comes in this shape. */
  owns(path: string): boolean;
  /**
   * The client's key, from the places this front door's clients send it (headers, or the query
   * string), never from the body: it is judged before the body is read. Undefined when it sent none.
   */
  clientKey(req: IncomingMessage): string | undefined;
  /** The front door's shape of a failure. */
  errorResponse(failure: RelayFailure, requestId: string): ErrorResponse;
  /** What ends a stream already begun, after an upstream failure or at shutdown. */
  streamError(kind: "interrupted" | "shutting-down"): string;
  /** A keep-alive event the front door's clients ignore; undefined to send none. */
  readonly pingEvent: Buffer | undefined;
}

/** A provider and the route it matched. */
export interface MatchedRoute {
  provider: RelayProvider;
  route: ProviderRoute;
}

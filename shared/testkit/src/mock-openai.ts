/**
 * A mock OpenAI upstream on 127.0.0.1 for the OpenAI provider: the OpenAI API (`/v1/responses`,
 * `/v1/chat/completions`, `/v1/models`, API keys as Bearer or Azure's `api-key`), the Codex backend
 * (`/backend-api/codex/responses`, ChatGPT access tokens plus `chatgpt-account-id`) and an
 * auth.openai.com token endpoint (`/oauth/token`) that issues those tokens, each speaking the real
 * wire format and refusing what the real service refuses. Tests script answers per request and read
 * back every request with the exact bytes it answered.
 *
 * This module owns the server, the credential checks, the reply queues, the stored responses (per
 * API key or ChatGPT account, so a previous_response_id only resolves where it was made) and the
 * record. Validation lives in mock-openai-request.ts, playing in mock-openai-play.ts, accounts and
 * tokens in mock-openai-auth.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createMockOpenAIAuth, type MockChatGptAccount, type MockChatGptAccountOptions, type MockOpenAIAuthorizationCode, type MockRateLimits } from "./mock-openai-auth.js";
import { accountMismatchBody, apiKeyError, DEACTIVATED_WORKSPACE_BODY, openAIErrorBody, sendJson, sendOpenAIError, tokenExpiredBody, UNREADABLE_TOKEN_BODY } from "./mock-openai-errors.js";
import { type GenerateCall, playGenerate } from "./mock-openai-play.js";
import type { MockOpenAIReply } from "./mock-openai-reply.js";
import { checkGenerateRequest } from "./mock-openai-request.js";
import { apiKeyOf, createRecord, fieldsOf, type MockOpenAIOperation, type RecordedOpenAIRequest, routeOf } from "./mock-openai-route.js";
import { modelsList } from "./mock-openai-wire.js";
import { createMockResponder, type MockResponder } from "./mock-responder.js";
import { createWaiters } from "./mock-openai-waiters.js";

export { MockOpenAIError } from "./mock-openai-waiters.js";
export type { MockOpenAIReply } from "./mock-openai-reply.js";
export type { MockOpenAIOperation, RecordedOpenAIRequest } from "./mock-openai-route.js";

/** The API key the mock accepts unless told otherwise. */
export const DEFAULT_MOCK_OPENAI_API_KEY = "sk-mock-openai-api-key";

/** The models the mock serves unless told otherwise; any other is refused as model_not_found. */
export const DEFAULT_MOCK_OPENAI_MODELS: readonly string[] = ["gpt-5", "gpt-5-codex", "gpt-5.1", "gpt-5.1-codex", "gpt-5.1-codex-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini", "o3", "o4-mini"];

/** A running mock OpenAI upstream. */
export interface MockOpenAI {
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  /** `${url}/v1`, the base URL of an OpenAI API-key account */
  apiBaseUrl: string;
  /** `${url}/backend-api/codex`, the base URL of a ChatGPT account */
  codexBaseUrl: string;
  /** `${url}`: the OAuth endpoints live under it */
  issuer: string;
  /** `${url}/oauth/token` */
  tokenUrl: string;
  port: number;
  requests: RecordedOpenAIRequest[];
  /** Keys the API accepts; add or delete to change them mid-test. */
  apiKeys: Set<string>;
  /** The ChatGPT accounts behind the Codex backend; set `deactivated` to ban one. */
  accounts: MockChatGptAccount[];
  models: readonly string[];
  /** Queues replies for the next generation calls of any route; when empty the default reply plays. Refused requests consume none. */
  enqueue(...replies: MockOpenAIReply[]): void;
  /** Queues replies for one operation (the token endpoint and models included); they play before the shared queue. */
  enqueueOn(operation: MockOpenAIOperation, ...replies: MockOpenAIReply[]): void;
  /** Replaces the default reply of generation calls (at first `{ kind: "text" }`). */
  setDefault(reply: MockOpenAIReply): void;
  /** Sets the windows the Codex backend reports in x-codex-* headers for this account. */
  setRateLimits(accountId: string, windows: MockRateLimits): void;
  /** Issues an access token for the account with this refresh token (the first account by default). */
  issueAccessToken(refreshToken?: string, ttlSeconds?: number): string;
  revokeAccessToken(token: string): void;
  /** Every later refresh with this token answers 401 refresh_token_invalidated. */
  revokeRefreshToken(refreshToken: string): void;
  /** Registers a code the token endpoint trades once (grant_type=authorization_code). */
  addAuthorizationCode(code: string, grant: MockOpenAIAuthorizationCode): void;
  /** grant_type=refresh_token requests received, presenting one refresh token or in all. */
  refreshCount(refreshToken?: string): number;
  /** The text of a Codex `~/.codex/auth.json` for an account (the first by default), with a fresh access token. */
  authJson(accountId?: string): string;
  /** Resolves when n requests have been received (with every request so far). */
  waitForRequests(n: number, timeoutMs?: number): Promise<RecordedOpenAIRequest[]>;
  /** Stops listening and destroys every connection, stalled streams included. */
  close(): Promise<void>;
}

/** Options of startMockOpenAI. */
export interface MockOpenAIOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** API keys, default [DEFAULT_MOCK_OPENAI_API_KEY]. */
  apiKeys?: string[];
  /** Models every route serves, default DEFAULT_MOCK_OPENAI_MODELS. */
  models?: readonly string[];
  /** ChatGPT accounts, default one with DEFAULT_MOCK_CHATGPT_ACCOUNT's values. */
  accounts?: MockChatGptAccountOptions[];
  /** The OAuth client id the token endpoint accepts, default Codex's. */
  clientId?: string;
  /** expires_in of issued access tokens, default 864000 */
  accessTokenTtlSeconds?: number;
  defaultReply?: MockOpenAIReply;
  /** The clock token expiry is read from, default Date.now. */
  now?: () => number;
}

const GENERATION: ReadonlySet<string> = new Set(["responses", "codexResponses", "chatCompletions"]);

/** Starts the mock on 127.0.0.1. */
export async function startMockOpenAI(options: MockOpenAIOptions = {}): Promise<MockOpenAI> {
  const requests: RecordedOpenAIRequest[] = [];
  const queue: MockOpenAIReply[] = [];
  const queues = new Map<MockOpenAIOperation, MockOpenAIReply[]>();
  const waiters = createWaiters(requests);
  const apiKeys = new Set(options.apiKeys ?? [DEFAULT_MOCK_OPENAI_API_KEY]);
  const models = options.models ?? DEFAULT_MOCK_OPENAI_MODELS;
  const auth = createMockOpenAIAuth(options);
  // Responses each credential produced, with the call ids of their function calls.
  const stored = new Map<string, Map<string, string[]>>();
  let defaultReply: MockOpenAIReply = options.defaultReply ?? { kind: "text" };

  function nextReply(operation: MockOpenAIOperation): MockOpenAIReply {
    const own = queues.get(operation)?.shift();
    if (own) return own;
    return GENERATION.has(operation) ? (queue.shift() ?? defaultReply) : { kind: "ok" };
  }

  async function generate(out: MockResponder, record: RecordedOpenAIRequest, operation: GenerateCall["route"], credential: string, account?: MockChatGptAccount): Promise<void> {
    const headers = account ? auth.rateLimitHeaders(account) : {};
    const own = stored.get(credential);
    const checked = checkGenerateRequest(operation, record.body, models, (id) => own?.get(id));
    if (!checked.ok) return sendJson(out, checked.status, checked.body, headers);
    const request = checked.request;
    record.credential = credential.slice(credential.indexOf(":") + 1);
    const call: GenerateCall = {
      route: operation,
      request,
      body: record.body,
      model: request.model as string,
      stream: request.stream === true,
      headers,
      planType: account?.planType ?? "plus",
      onAnswer(answer) {
        // The Codex backend keeps responses for its account's follow-ups even with store:false (Codex
        // continues a turn with previous_response_id), so stickiness shows on ChatGPT accounts too.
        if (operation === "chatCompletions" || (operation === "responses" && request.store === false)) return;
        const held = stored.get(credential) ?? new Map<string, string[]>();
        stored.set(credential, held);
        held.set(answer.id, answer.items.flatMap((item) => (item.type === "function_call" ? [item.callId] : [])));
      },
    };
    return playGenerate(out, call, nextReply(operation));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const target = new URL(req.url ?? "/", "http://mock.invalid");
    const operation = routeOf(req.method ?? "GET", target.pathname);
    const { record, append } = createRecord(req, target, body, operation);
    waiters.received(record);
    const out = createMockResponder(res, (status) => (record.status = status), append);
    switch (operation) {
      case "token":
        return auth.token(out, fieldsOf(req.headers["content-type"], body), nextReply("token"));
      case "codexResponses": {
        const account = auth.accountFor(req.headers.authorization);
        if (account === "expired") return sendJson(out, 401, tokenExpiredBody());
        if (typeof account === "string") return sendJson(out, 401, UNREADABLE_TOKEN_BODY);
        const headers = auth.rateLimitHeaders(account);
        const named = req.headers["chatgpt-account-id"];
        if (named !== account.accountId) return sendJson(out, 403, accountMismatchBody(typeof named === "string" ? named : undefined), headers);
        if (account.deactivated) return sendJson(out, 402, DEACTIVATED_WORKSPACE_BODY, headers);
        return generate(out, record, operation, `account:${account.accountId}`, account);
      }
      case "unknown":
        return sendOpenAIError(out, { status: 404, message: `Invalid URL (${req.method} ${target.pathname})`, type: "invalid_request_error" });
      default: {
        const key = apiKeyOf(req.headers);
        if (key === undefined || !apiKeys.has(key)) return sendOpenAIError(out, apiKeyError(key));
        if (operation !== "models") return generate(out, record, operation, `key:${key}`);
        record.credential = key;
        const reply = nextReply("models");
        if (reply.kind === "error") return sendJson(out, reply.status, reply.body ?? openAIErrorBody({ status: reply.status, message: reply.message ?? "Internal error", code: reply.code }), reply.headers);
        if (reply.kind === "disconnect") return out.destroy();
        if (reply.kind === "stall") return;
        if (reply.kind === "ok" && reply.delayMs) await out.sleep(reply.delayMs);
        return sendJson(out, 200, modelsList(models));
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A closed connection ends a script early; anything else is a bug in the mock, shown to the test.
      if ((err as { code?: string }).code === "ERR_MOCK_RESPONSE_CLOSED" || res.destroyed) return;
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify(openAIErrorBody({ status: 500, message: `mock upstream failed: ${String(err)}` })));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | undefined;

  return {
    url,
    apiBaseUrl: `${url}/v1`,
    codexBaseUrl: `${url}/backend-api/codex`,
    issuer: url,
    tokenUrl: `${url}/oauth/token`,
    port,
    requests,
    apiKeys,
    accounts: auth.accounts,
    models,
    enqueue: (...replies) => void queue.push(...replies),
    enqueueOn: (operation, ...replies) => void queues.set(operation, [...(queues.get(operation) ?? []), ...replies]),
    setDefault(reply) {
      defaultReply = reply;
    },
    setRateLimits: (accountId, windows) => auth.setRateLimits(accountId, windows),
    issueAccessToken: (refreshToken, ttlSeconds) => auth.issueAccessToken(refreshToken, ttlSeconds),
    revokeAccessToken: (token) => auth.revokeAccessToken(token),
    revokeRefreshToken: (refreshToken) => auth.revokeRefreshToken(refreshToken),
    addAuthorizationCode: (code, grant) => auth.addAuthorizationCode(code, grant),
    refreshCount: (refreshToken) => auth.refreshCount(refreshToken),
    authJson: (accountId) => auth.authJson(accountId),
    waitForRequests: (n, timeoutMs = 10_000) => waiters.wait(n, timeoutMs),
    close() {
      if (closing) return closing;
      closing = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      waiters.closeAll();
      return closing;
    },
  };
}

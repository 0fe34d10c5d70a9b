/**
 * A mock Google upstream on 127.0.0.1 for the Gemini provider: the Gemini API (`/v1beta/models…`,
 * API keys), the Code Assist API (`/v1internal:<method>`, Bearer tokens) and a Google OAuth token
 * endpoint (`/token`) that issues those tokens, each speaking the real wire format and refusing what
 * the real service refuses. Tests script answers per request (text, function calls, thoughts, Google
 * errors, stalls, disconnects) and read back every request with the exact bytes it answered.
 *
 * This module owns the server, routing, the reply queues and the record; the routes live in
 * mock-gemini-api.ts, mock-gemini-code-assist.ts and mock-gemini-oauth.ts, the bytes in
 * mock-gemini-wire.ts and mock-gemini-errors.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { MockGoogleAccount, MockGoogleAccountOptions } from "./mock-gemini-accounts.js";
import { createGeminiApiRoutes } from "./mock-gemini-api.js";
import { createCodeAssistRoutes, type MockOnboarding } from "./mock-gemini-code-assist.js";
import { googleErrorJson } from "./mock-gemini-errors.js";
import { createMockGoogleAuth, type MockAuthorizationCode, type MockOAuthClient } from "./mock-gemini-oauth.js";
import { type MockGeminiReply, sendGoogleError } from "./mock-gemini-reply.js";
import { createRecord, formOf, headerValue, type MockGeminiOperation, type RecordedGeminiRequest, routeOf } from "./mock-gemini-route.js";
import { DEFAULT_MOCK_GEMINI_MODELS } from "./mock-gemini-wire.js";
import { createMockResponder } from "./mock-responder.js";

export type { MockGeminiReply } from "./mock-gemini-reply.js";
export type { MockGeminiOperation, RecordedGeminiRequest } from "./mock-gemini-route.js";

/** The API key the mock accepts unless told otherwise. */
export const DEFAULT_MOCK_GEMINI_API_KEY = "AIza-mock-gemini-api-key";

/** A running mock Google upstream. */
export interface MockGemini {
  /** Base URL for GOOGLE_GEMINI_BASE_URL, CODE_ASSIST_ENDPOINT and `httpOptions.baseUrl`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The token endpoint, `${url}/token`. */
  tokenUrl: string;
  port: number;
  requests: RecordedGeminiRequest[];
  /** Keys the Gemini API accepts; add or delete to change them mid-test. */
  apiKeys: Set<string>;
  /** The Google accounts behind the Code Assist API and the token endpoint. */
  accounts: MockGoogleAccount[];
  /**
   * Queues replies for the next generation calls (generateContent, streamGenerateContent, countTokens)
   * of either API; when the queue is empty the default reply plays. Refused credentials consume none.
   */
  enqueue(...replies: MockGeminiReply[]): void;
  /** Queues replies for one operation (any route, token endpoint included); they play before the shared queue. */
  enqueueOn(operation: MockGeminiOperation, ...replies: MockGeminiReply[]): void;
  /** Replaces the default reply of generation calls (at first `{ kind: "text" }`). */
  setDefault(reply: MockGeminiReply): void;
  /** Issues an access token for the account with this refresh token (the first account by default). */
  issueAccessToken(refreshToken?: string, ttlSeconds?: number): string;
  revokeAccessToken(token: string): void;
  /** Every later refresh with this token answers 400 invalid_grant. */
  revokeRefreshToken(refreshToken: string): void;
  /** Registers a code the token endpoint trades once (grant_type=authorization_code). */
  addAuthorizationCode(code: string, grant: MockAuthorizationCode): void;
  /** grant_type=refresh_token requests received, for one refresh token or in all. */
  refreshCount(refreshToken?: string): number;
  /** resolves when n requests have been received (with every request so far) */
  waitForRequests(n: number, timeoutMs?: number): Promise<RecordedGeminiRequest[]>;
  /** Stops listening and destroys every connection, stalled streams included. */
  close(): Promise<void>;
}

/** Options of startMockGemini. */
export interface MockGeminiOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Gemini API keys, default [DEFAULT_MOCK_GEMINI_API_KEY]. */
  apiKeys?: string[];
  /** Model ids both APIs serve, default DEFAULT_MOCK_GEMINI_MODELS. */
  models?: readonly string[];
  /** Google accounts, default one with DEFAULT_MOCK_GOOGLE_ACCOUNT's values on the free tier. */
  accounts?: MockGoogleAccountOptions[];
  oauthClient?: MockOAuthClient;
  /** expires_in of issued access tokens, default 3599 */
  accessTokenTtlSeconds?: number;
  /** How onboardUser finishes, default "immediate". */
  onboarding?: MockOnboarding;
  /** Requests per model a day that retrieveUserQuota counts against, default 1000. */
  dailyRequestLimit?: number;
  defaultReply?: MockGeminiReply;
  /** The clock token expiry is read from, default Date.now. */
  now?: () => number;
}

/** Thrown by MockGemini.waitForRequests on timeout or when the mock closes first. */
export class MockGeminiError extends Error {
  constructor(
    readonly code: "ERR_MOCK_GEMINI_TIMEOUT" | "ERR_MOCK_GEMINI_CLOSED",
    message: string,
  ) {
    super(message);
    this.name = "MockGeminiError";
  }
}

interface Waiter {
  n: number;
  resolve: (requests: RecordedGeminiRequest[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const GENERATION: ReadonlySet<MockGeminiOperation> = new Set(["generateContent", "streamGenerateContent", "countTokens"]);

/** Starts the mock on 127.0.0.1. */
export async function startMockGemini(options: MockGeminiOptions = {}): Promise<MockGemini> {
  const requests: RecordedGeminiRequest[] = [];
  const queue: MockGeminiReply[] = [];
  const queues = new Map<MockGeminiOperation, MockGeminiReply[]>();
  const waiters = new Set<Waiter>();
  const apiKeys = new Set(options.apiKeys ?? [DEFAULT_MOCK_GEMINI_API_KEY]);
  const models = options.models ?? DEFAULT_MOCK_GEMINI_MODELS;
  const auth = createMockGoogleAuth(options);
  const gemini = createGeminiApiRoutes({ apiKeys, models });
  const codeAssist = createCodeAssistRoutes({ auth, models, onboarding: options.onboarding ?? "immediate", dailyRequestLimit: options.dailyRequestLimit ?? 1000 });
  let defaultReply: MockGeminiReply = options.defaultReply ?? { kind: "text" };
  let closing: Promise<void> | undefined;

  function received(record: RecordedGeminiRequest): void {
    requests.push(record);
    for (const waiter of waiters) {
      if (requests.length < waiter.n) continue;
      clearTimeout(waiter.timer);
      waiters.delete(waiter);
      waiter.resolve(requests.slice());
    }
  }

  function nextReply(operation: MockGeminiOperation): MockGeminiReply {
    const own = queues.get(operation)?.shift();
    if (own) return own;
    return GENERATION.has(operation) ? (queue.shift() ?? defaultReply) : { kind: "ok" };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const target = new URL(req.url ?? "/", "http://mock.invalid");
    const method = req.method ?? "GET";
    const route = routeOf(method, target.pathname);
    const { record, append } = createRecord(req, target, body, route);
    received(record);
    const out = createMockResponder(res, (status) => (record.status = status), append);
    const next = () => nextReply(record.operation);
    const authorization = req.headers.authorization;
    switch (route.api) {
      case "gemini": {
        const apiKey = headerValue(req.headers["x-goog-api-key"]) ?? target.searchParams.get("key") ?? undefined;
        return gemini.handle(out, { method: route.method, model: route.model, query: target.searchParams, apiKey, body }, next);
      }
      case "code-assist": {
        const call = { method: route.method, operation: route.operationName, authorization, body, sse: target.searchParams.get("alt") === "sse" };
        return codeAssist.handle(out, call, next);
      }
      case "oauth": {
        if (route.method !== "token") {
          const bearer = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
          const form = formOf(req.headers["content-type"], body);
          return auth.info(out, route.method, target.searchParams.get("access_token") ?? form.get("access_token") ?? bearer ?? undefined);
        }
        return auth.token(out, formOf(req.headers["content-type"], body), authorization, next());
      }
      default:
        return sendGoogleError(out, { code: 404, message: route.method === "unknown-method" ? "Method not found." : `Not found: ${method} ${target.pathname}` });
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A closed connection ends a script early; anything else is a bug in the mock, shown to the test.
      if ((err as { code?: string }).code === "ERR_MOCK_RESPONSE_CLOSED" || res.destroyed) return;
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { "content-type": "application/json; charset=UTF-8" }).end(googleErrorJson({ code: 500, message: `mock upstream failed: ${String(err)}` }));
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

  return {
    url,
    tokenUrl: `${url}/token`,
    port,
    requests,
    apiKeys,
    accounts: auth.accounts,
    enqueue(...replies) {
      queue.push(...replies);
    },
    enqueueOn(operation, ...replies) {
      queues.set(operation, [...(queues.get(operation) ?? []), ...replies]);
    },
    setDefault(reply) {
      defaultReply = reply;
    },
    issueAccessToken: (refreshToken, ttlSeconds) => auth.issueAccessToken(refreshToken, ttlSeconds),
    revokeAccessToken: (token) => auth.revokeAccessToken(token),
    revokeRefreshToken: (refreshToken) => auth.revokeRefreshToken(refreshToken),
    addAuthorizationCode: (code, grant) => auth.addAuthorizationCode(code, grant),
    refreshCount: (refreshToken) => auth.refreshCount(refreshToken),
    waitForRequests(n, timeoutMs = 10_000) {
      if (requests.length >= n) return Promise.resolve(requests.slice());
      if (closing) return Promise.reject(new MockGeminiError("ERR_MOCK_GEMINI_CLOSED", "the mock upstream is closed"));
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          n,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(new MockGeminiError("ERR_MOCK_GEMINI_TIMEOUT", `received ${requests.length} of ${n} requests within ${timeoutMs} ms`));
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    close() {
      if (closing) return closing;
      closing = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new MockGeminiError("ERR_MOCK_GEMINI_CLOSED", `closed after ${requests.length} of ${waiter.n} requests`));
      }
      waiters.clear();
      return closing;
    },
  };
}

/**
 * A mock Anthropic API on 127.0.0.1 that speaks the real wire format, for tests that
 * need an upstream: scripted replies (messages, tool use, thinking, errors, stalls,
 * disconnects), requests refused as the real API refuses them, and a
 * record of every request with the exact bytes it answered, so a test can check that
 * a client got the upstream's bytes unchanged and that the upstream never saw the
 * client's key. The bytes themselves come from mock-messages.ts.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { errorBody } from "@claude-relay/anthropic";
import { createMockResponder } from "./mock-responder.js";
import { type MockReply, type MockRoute, playReply, sendError } from "./mock-reply.js";

export type { MockReply } from "./mock-reply.js";

/** One request the mock received, and what it answered. */
export interface RecordedRequest {
  method: string;
  /** The request target as sent, query string included (e.g. `/v1/messages?beta=true`). */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** every byte the mock wrote in its response body */
  responseBody: Buffer;
  /** The status sent, or 0 while none has been (or never will be, after a disconnect). */
  status: number;
}

/** A running mock upstream. */
export interface MockAnthropic {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /**
   * queue replies for the next requests, in order; when the queue is empty the default reply is a "message".
   * Replies apply to the API routes (messages, count_tokens, models); a "message" reply on
   * count_tokens or models means their normal answer. Other paths never take one.
   */
  enqueue(...replies: MockReply[]): void;
  setDefault(reply: MockReply): void;
  /** resolves when n requests have been received (with every request so far) */
  waitForRequests(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Stops listening and destroys every connection, stalled streams included. */
  close(): Promise<void>;
}

/** Options of startMockAnthropic. */
export interface MockAnthropicOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  defaultReply?: MockReply;
  /**
   * Check requests as the real API does before answering them (mock-anthropic-request.ts), default
   * true; false answers any JSON object, for tests about something other than the body.
   */
  validate?: boolean;
}

/** Thrown by MockAnthropic.waitForRequests on timeout or when the mock closes first. */
export class MockAnthropicError extends Error {
  constructor(
    readonly code: "ERR_MOCK_ANTHROPIC_TIMEOUT" | "ERR_MOCK_ANTHROPIC_CLOSED",
    message: string,
  ) {
    super(message);
    this.name = "MockAnthropicError";
  }
}

interface Waiter {
  n: number;
  resolve: (requests: RecordedRequest[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** Starts the mock on 127.0.0.1. */
export async function startMockAnthropic(options: MockAnthropicOptions = {}): Promise<MockAnthropic> {
  const requests: RecordedRequest[] = [];
  const queue: MockReply[] = [];
  const waiters = new Set<Waiter>();
  let defaultReply: MockReply = options.defaultReply ?? { kind: "message" };
  let closing: Promise<void> | undefined;

  function received(record: RecordedRequest): void {
    requests.push(record);
    for (const waiter of waiters) {
      if (requests.length < waiter.n) continue;
      clearTimeout(waiter.timer);
      waiters.delete(waiter);
      waiter.resolve(requests.slice());
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { record, append } = createRecord(req, Buffer.concat(chunks));
    received(record);
    const out = createMockResponder(res, (status) => (record.status = status), append);
    const pathname = record.path.split("?", 1)[0] ?? "";
    const route = routeOf(record.method, pathname);
    if (route === undefined) return sendError(out, 404, "not_found_error", `Not found: ${record.method} ${pathname}`);
    if (route === "hello") {
      out.head(200, {});
      return out.end();
    }
    await playReply(out, route, record.body, queue.shift() ?? defaultReply, options.validate ?? true);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // A closed connection ends a script early; anything else is a bug in the mock, shown to the test.
      if ((err as { code?: string }).code === "ERR_MOCK_RESPONSE_CLOSED" || res.destroyed) return;
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { "content-type": "application/json" }).end(errorBody("api_error", `mock upstream failed: ${String(err)}`));
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

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    enqueue(...replies) {
      queue.push(...replies);
    },
    setDefault(reply) {
      defaultReply = reply;
    },
    waitForRequests(n, timeoutMs = 10_000) {
      if (requests.length >= n) return Promise.resolve(requests.slice());
      if (closing) return Promise.reject(new MockAnthropicError("ERR_MOCK_ANTHROPIC_CLOSED", "the mock upstream is closed"));
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          n,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(new MockAnthropicError("ERR_MOCK_ANTHROPIC_TIMEOUT", `received ${requests.length} of ${n} requests within ${timeoutMs} ms`));
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
        waiter.reject(new MockAnthropicError("ERR_MOCK_ANTHROPIC_CLOSED", `closed after ${requests.length} of ${waiter.n} requests`));
      }
      waiters.clear();
      return closing;
    },
  };
}

function routeOf(method: string, pathname: string): MockRoute | undefined {
  if (method === "POST" && pathname.endsWith("/v1/messages")) return "messages";
  if (method === "POST" && pathname.endsWith("/v1/messages/count_tokens")) return "count_tokens";
  if (method === "GET" && pathname.endsWith("/v1/models")) return "models";
  // Claude Code's connectivity probe (HEAD /api/hello, older versions HEAD /).
  if ((method === "HEAD" || method === "GET") && (pathname === "/" || pathname.endsWith("/api/hello"))) return "hello";
  return undefined;
}

/** A record whose responseBody joins the chunks written so far, joined again only after new writes. */
function createRecord(req: IncomingMessage, body: Buffer): { record: RecordedRequest; append(chunk: Buffer): void } {
  const chunks: Buffer[] = [];
  let joined = Buffer.alloc(0);
  let joinedCount = 0;
  const record: RecordedRequest = {
    method: req.method ?? "GET",
    path: req.url ?? "/",
    headers: req.headers,
    body,
    status: 0,
    get responseBody() {
      if (joinedCount !== chunks.length) {
        joined = Buffer.concat(chunks);
        joinedCount = chunks.length;
      }
      return joined;
    },
  };
  return { record, append: (chunk) => chunks.push(chunk) };
}

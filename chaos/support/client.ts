/**
 * A client of the relay for fault scenarios: one request per connection
 * (node:http without an agent, so a burst is really that many sockets),
 * streams that can be held open and dropped, and a steady load of workers.
 * Every request has a deadline, so a hang shows up as a failure, not a stuck test.
 */
import { request } from "node:http";

/** How one request ended. */
export interface Answer {
  /** HTTP status, or 0 when no response came (connection error or deadline). */
  status: number;
  body: string;
  startedAt: number;
  endedAt: number;
  /** `error.type` of an Anthropic error body. */
  errorType?: string;
  /** Why no full response came: "deadline", or the socket error code. */
  failure?: string;
}

/** Options of sendMessage and openStream. */
export interface MessageOptions {
  stream?: boolean;
  /** Deadline of the whole exchange (default 15 s). */
  timeoutMs?: number;
}

/** The Messages request the scenarios send. */
export function messageBody(stream: boolean): string {
  return JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 32, stream, messages: [{ role: "user", content: "Say hello." }] });
}

/** How a stream ended, with when its first and last body bytes came. */
export type StreamEnd = Answer & { firstChunkAt: number; lastChunkAt: number };

/** A request that can be watched while it streams and dropped by the client. */
export interface OpenStream {
  /** Resolves at the first body bytes (rejects when the exchange ends before any). */
  firstBytes: Promise<void>;
  /** Resolves when the exchange is over, however it ended. */
  done: Promise<StreamEnd>;
  /** Drops the connection, as a client that hangs up. */
  abort(): void;
}

/** Starts a POST /v1/messages on its own connection. */
export function openStream(baseUrl: string, key: string, options: MessageOptions = {}): OpenStream {
  const body = messageBody(options.stream ?? true);
  const startedAt = Date.now();
  let firstChunkAt = 0;
  let lastChunkAt = startedAt;
  let gotBytes: () => void = () => {};
  let noBytes: (err: Error) => void = () => {};
  const firstBytes = new Promise<void>((resolve, reject) => {
    gotBytes = resolve;
    noBytes = reject;
  });
  firstBytes.catch(() => {});
  const req = request(`${baseUrl}/v1/messages`, {
    method: "POST",
    agent: false,
    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), "x-api-key": key, "anthropic-version": "2023-06-01" },
  });
  const done = new Promise<StreamEnd>((resolve) => {
    let status = 0;
    const chunks: Buffer[] = [];
    const finish = (failure?: string) => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("utf8");
      noBytes(new Error(`no body bytes (${failure ?? status})`));
      const endedAt = Date.now();
      resolve({ status: failure ? 0 : status, body: text, startedAt, endedAt, firstChunkAt, lastChunkAt, errorType: errorTypeOf(status, text), ...(failure && { failure }) });
    };
    const timer = setTimeout(() => {
      req.destroy();
      finish("deadline");
    }, options.timeoutMs ?? 15_000);
    req.on("response", (res) => {
      status = res.statusCode ?? 0;
      res.on("data", (chunk: Buffer) => {
        lastChunkAt = Date.now();
        if (firstChunkAt === 0) firstChunkAt = lastChunkAt;
        chunks.push(chunk);
        gotBytes();
      });
      res.on("end", () => finish());
      res.on("aborted", () => finish("aborted"));
      res.on("error", (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
    });
    req.on("error", (err: NodeJS.ErrnoException) => finish(err.code ?? err.message));
  });
  req.end(body);
  return { firstBytes, done, abort: () => req.destroy() };
}

/** Sends one request and waits for the whole answer. */
export async function sendMessage(baseUrl: string, key: string, options: MessageOptions = {}): Promise<Answer> {
  const { firstChunkAt: _first, lastChunkAt: _last, ...answer } = await openStream(baseUrl, key, { stream: false, ...options }).done;
  return answer;
}

/** `error.type` when the body is an Anthropic error (JSON, or an SSE `error` event). */
export function errorTypeOf(status: number, body: string): string | undefined {
  const json = status === 200 ? body.match(/event: error\ndata: (.*)\n/)?.[1] : body;
  if (json === undefined) return undefined;
  try {
    const parsed = JSON.parse(json) as { type?: string; error?: { type?: string } };
    return parsed.type === "error" ? parsed.error?.type : undefined;
  } catch {
    return undefined;
  }
}

/** A steady load: `concurrency` workers, each sending one request after the other. */
export interface Load {
  /** Every answer so far, in the order they ended. */
  readonly answers: Answer[];
  /** Stops the workers after their current request; resolves with every answer. */
  stop(): Promise<Answer[]>;
}

/** Starts a steady load of non-streaming requests; `baseUrl` is read before each request. */
export function startLoad(options: { baseUrl: () => string; key: string; concurrency: number; timeoutMs?: number; pauseMs?: number }): Load {
  const answers: Answer[] = [];
  let running = true;
  const worker = async () => {
    while (running) {
      answers.push(await sendMessage(options.baseUrl(), options.key, { timeoutMs: options.timeoutMs ?? 15_000 }));
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  };
  const workers = Array.from({ length: options.concurrency }, worker);
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(workers);
      return answers;
    },
  };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `everyMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** Status of a GET, or 0 when the server does not answer within a second. */
export async function statusOf(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Counts answers by status (and error type), e.g. `{ "200": 950, "503 overloaded_error": 3 }`. */
export function tally(answers: readonly Answer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const label = a.status === 0 ? `no answer (${a.failure})` : a.status === 200 ? "200" : `${a.status} ${a.errorType ?? "non-Anthropic body"}`;
    out[label] = (out[label] ?? 0) + 1;
  }
  return out;
}

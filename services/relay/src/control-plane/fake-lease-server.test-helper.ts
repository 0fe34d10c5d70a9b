/**
 * A scripted LeaseService for relay tests: a real grpc-js server on a loopback
 * port, behind the same generated definition the control plane serves, that
 * records every call and answers from a queue (lease, refusal, gRPC error, delay),
 * as unary calls and on the Exchange stream alike.
 * When the queue is empty, Acquire grants a lease on the first account not
 * excluded. CheckKey is answered as an older control plane does (INVALID_ARGUMENT:
 * no call it knows) until a test gives it verdicts with answerCheckKey.
 * An ExchangeBatch is answered as an older control plane does too (a CallError
 * for call id 0) unless `batches` is set; then its calls are answered together,
 * in one ExchangeResponseBatch once all of them are done.
 */
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import {
  type AcquireRequest,
  type AcquireResponse,
  AcquireResponseSchema,
  type CheckKeyRequest,
  type CheckKeyResponse,
  CheckKeyResponseSchema,
  CallErrorSchema,
  CredentialKind,
  type ExchangeRequest,
  type ExchangeResponse,
  ExchangeResponseSchema,
  LeaseService,
  RefusalReason,
  type ReleaseRequest,
  type ReleaseResponse,
  ReleaseResponseSchema,
  type RenewRequest,
  type RenewResponse,
  RenewResponseSchema,
  UpstreamAccountType,
  type ListModelsRequest,
  type ListModelsResponse,
  ListModelsResponseSchema,
  type Platform,
} from "@claude-relay/proto/lease";

/** An account the fake hands out. */
export interface FakeAccount {
  id: string;
  baseUrl: string;
  credentialKind?: CredentialKind;
  credential?: string;
  proxyUrl?: string;
  /** Default: a Claude Console account (or Claude OAuth, by its credential kind). */
  type?: UpstreamAccountType;
  /** Gemini OAuth accounts: the Code Assist project. */
  projectId?: string;
  /** OpenAI OAuth accounts: the ChatGPT account id. */
  chatgptAccountId?: string;
}

/** One scripted Acquire answer, given after `delayMs` when set. */
export type FakeAcquireAnswer = (
  | { lease: { account?: FakeAccount; ttlMs?: number; keyId?: string } }
  | { refusal: { reason: RefusalReason; message?: string; retryAfterMs?: number } }
  | { error: grpc.status; details?: string }
) & { delayMs?: number };

/** A scripted CheckKey verdict for a key hash. */
export type FakeKeyVerdict = { accepted: string } | { refused: string };

/** Options of startFakeLeaseServer. */
export interface FakeLeaseServerOptions {
  accounts: FakeAccount[];
  /** TTL of granted leases; default 30 s. */
  ttlMs?: number;
  /** When set, calls without this `x-internal-token` get UNAUTHENTICATED. */
  token?: string;
  /** Serve ExchangeBatch messages; default false (as a control plane older than batches). */
  batches?: boolean;
}

/** A running fake. */
export interface FakeLeaseServer {
  port: number;
  /** A grpc-js target for the relay: `dns:///127.0.0.1:<port>`. */
  target: string;
  acquires: AcquireRequest[];
  renews: RenewRequest[];
  releases: ReleaseRequest[];
  /** The `x-internal-token` of every call. */
  tokens: string[];
  enqueueAcquire(...answers: FakeAcquireAnswer[]): void;
  /** Answer Renew with this gRPC error from now on (undefined: succeed). */
  failRenewWith(code: grpc.status | undefined): void;
  /** Delay every Release by this long. */
  delayReleases(ms: number): void;
  /** Ends every open Exchange stream cleanly (status OK), as a draining control plane does. */
  endExchanges(): void;
  /** Ends every open Exchange stream with an error status (UNAVAILABLE unless given), as a broken connection does. */
  breakExchanges(code?: grpc.status): void;
  /** How many Exchange streams were opened with the right token so far. */
  exchangeCount(): number;
  /** While true, messages on Exchange streams are dropped unanswered and unrecorded. */
  ignoreExchangeCalls(ignore: boolean): void;
  /** CheckKey calls received on Exchange streams. */
  keyChecks: CheckKeyRequest[];
  /** Every message received on Exchange streams, as it came (a batch is one message). */
  exchangeMessages: ExchangeRequest[];
  /** Every message written on Exchange streams, as it went (a batch of answers is one message). */
  exchangeAnswers: ExchangeResponse[];
  /** Answers CheckKey with `verdict` from now on; undefined: as a control plane without CheckKey. */
  answerCheckKey(verdict: ((keyHash: string) => FakeKeyVerdict) | undefined): void;
  /** Sends KeysChanged (call id 0) on every open Exchange stream. */
  sendKeysChanged(): void;
  /** From now on, tells every Exchange Acquire with max_wait_ms above 0 that it is queued (AcquireQueued, wait_ms = the smaller of this and its max_wait_ms) before answering it; undefined: never. */
  announceQueued(waitMs: number | undefined): void;
  /** ListModels calls received. */
  listModelsCalls: ListModelsRequest[];
  /** What ListModels answers from now on (default: no models). */
  answerListModels(answer: { models: Array<{ id: string; platform: Platform; upstreamModel?: string }> } | { refusal: RefusalReason }): void;
  waitForReleases(n: number, timeoutMs?: number): Promise<ReleaseRequest[]>;
  waitForRenews(n: number, timeoutMs?: number): Promise<RenewRequest[]>;
  /** Resolves once every lease granted so far has been released (whatever the lists were reset to). */
  waitForAllReleased(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1. */
export async function startFakeLeaseServer(options: FakeLeaseServerOptions): Promise<FakeLeaseServer> {
  const acquires: AcquireRequest[] = [];
  const listModelsCalls: ListModelsRequest[] = [];
  const keyChecks: CheckKeyRequest[] = [];
  let keyVerdict: ((keyHash: string) => FakeKeyVerdict) | undefined;
  let modelsAnswer: Parameters<FakeLeaseServer["answerListModels"]>[0] = { models: [] };
  const renews: RenewRequest[] = [];
  const releases: ReleaseRequest[] = [];
  const tokens: string[] = [];
  const queue: FakeAcquireAnswer[] = [];
  let renewError: grpc.status | undefined;
  let releaseDelayMs = 0;
  let leaseCount = 0;
  let exchangeDrop = false;
  let queuedWaitMs: number | undefined;
  let exchangesOpened = 0;
  const outstanding = new Set<string>();
  const exchanges: grpc.ServerDuplexStream<ExchangeRequest, ExchangeResponse>[] = [];
  const exchangeMessages: ExchangeRequest[] = [];
  const exchangeAnswers: ExchangeResponse[] = [];

  type Answer<T> = T | { code: grpc.status; details: string };
  const isError = <T,>(answer: Answer<T>): answer is { code: grpc.status; details: string } => typeof answer === "object" && answer !== null && "code" in answer && "details" in answer && !("$typeName" in answer);

  function authorized(token: string): boolean {
    tokens.push(token);
    return options.token === undefined || token === options.token;
  }

  function answerAcquire(request: AcquireRequest, answer: FakeAcquireAnswer): Answer<AcquireResponse> {
    if ("error" in answer) return { code: answer.error, details: answer.details ?? "scripted failure" };
    if ("refusal" in answer) {
      const refusal = { message: "", retryAfterMs: 0, ...answer.refusal };
      return create(AcquireResponseSchema, { result: { case: "refusal", value: refusal } });
    }
    const account = answer.lease.account ?? options.accounts.find((a) => !request.excludeAccounts.includes(a.id));
    if (!account) {
      const refusal = { reason: RefusalReason.NO_ACCOUNT, message: "no account", retryAfterMs: 0 };
      return create(AcquireResponseSchema, { result: { case: "refusal", value: refusal } });
    }
    leaseCount++;
    const lease = {
      leaseId: `lease-${leaseCount}`,
      ttlMs: answer.lease.ttlMs ?? options.ttlMs ?? 30_000,
      keyId: answer.lease.keyId ?? "key-1",
      account: {
        id: account.id,
        name: account.id,
        baseUrl: account.baseUrl,
        credentialKind: account.credentialKind ?? CredentialKind.API_KEY,
        credential: account.credential ?? `sk-ant-account-${account.id}`,
        proxyUrl: account.proxyUrl ?? "",
        type: account.type ?? (account.credentialKind === CredentialKind.OAUTH_TOKEN ? UpstreamAccountType.CLAUDE_OAUTH : UpstreamAccountType.CLAUDE_CONSOLE),
        ...(account.projectId !== undefined && { details: { case: "codeAssist" as const, value: { projectId: account.projectId } } }),
        ...(account.chatgptAccountId !== undefined && { details: { case: "chatgpt" as const, value: { accountId: account.chatgptAccountId } } }),
      },
    };
    outstanding.add(lease.leaseId);
    return create(AcquireResponseSchema, { result: { case: "lease", value: lease } });
  }

  const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  // One implementation of each call, served both as a unary method and on the Exchange stream.
  const calls = {
    async acquire(request: AcquireRequest): Promise<Answer<AcquireResponse>> {
      acquires.push(request);
      const answer = queue.shift() ?? { lease: {} };
      if (answer.delayMs) await delay(answer.delayMs);
      return answerAcquire(request, answer);
    },
    async renew(request: RenewRequest): Promise<Answer<RenewResponse>> {
      renews.push(request);
      if (renewError !== undefined) return { code: renewError, details: "scripted renew failure" };
      return create(RenewResponseSchema, { ttlMs: options.ttlMs ?? 30_000 });
    },
    async checkKey(request: CheckKeyRequest): Promise<Answer<CheckKeyResponse>> {
      keyChecks.push(request);
      if (keyVerdict === undefined) return { code: grpc.status.INVALID_ARGUMENT, details: "no call" };
      const verdict = keyVerdict(request.keyHash);
      if ("accepted" in verdict) return create(CheckKeyResponseSchema, { result: { case: "accepted", value: { keyId: verdict.accepted } } });
      return create(CheckKeyResponseSchema, { result: { case: "refusal", value: { reason: RefusalReason.KEY_INVALID, message: verdict.refused } } });
    },
    async release(request: ReleaseRequest): Promise<Answer<ReleaseResponse>> {
      if (releaseDelayMs > 0) await delay(releaseDelayMs);
      releases.push(request);
      outstanding.delete(request.leaseId);
      return create(ReleaseResponseSchema, {});
    },
  };

  const tokenOf = (metadata: grpc.Metadata) => String(metadata.get("x-internal-token")[0] ?? "");
  const unauthenticated = { code: grpc.status.UNAUTHENTICATED, details: "bad internal token" };

  function unary<I, O>(handle: (request: I) => Promise<Answer<O>>) {
    return (call: grpc.ServerUnaryCall<I, O>, callback: grpc.sendUnaryData<O>) => {
      if (!authorized(tokenOf(call.metadata))) return callback(unauthenticated);
      void handle(call.request).then((answer) => (isError(answer) ? callback(answer) : callback(null, answer)));
    };
  }

  const implementation: grpc.UntypedServiceImplementation = {
    acquire: unary(calls.acquire),
    listModels: unary(async (request: ListModelsRequest): Promise<Answer<ListModelsResponse>> => {
      listModelsCalls.push(request);
      if ("refusal" in modelsAnswer) return create(ListModelsResponseSchema, { result: { case: "refusal", value: { reason: modelsAnswer.refusal, message: "", retryAfterMs: 0 } } });
      const models = modelsAnswer.models.map((m) => ({ id: m.id, platform: m.platform, upstreamModel: m.upstreamModel ?? m.id }));
      return create(ListModelsResponseSchema, { result: { case: "models", value: { models } } });
    }),
    renew: unary(calls.renew),
    release: unary(calls.release),
    exchange(call: grpc.ServerDuplexStream<ExchangeRequest, ExchangeResponse>) {
      const token = tokenOf(call.metadata);
      if (!authorized(token)) {
        call.emit("error", unauthenticated);
        return;
      }
      exchanges.push(call);
      exchangesOpened++;
      let inFlight = 0;
      let clientDone = false;
      const endWhenIdle = () => {
        if (clientDone && inFlight === 0) call.end();
      };
      const write = (response: ExchangeResponse) => {
        if (call.cancelled || call.writableEnded) return;
        exchangeAnswers.push(response);
        call.write(response);
      };
      const handle = (request: ExchangeRequest): Promise<ExchangeResponse["result"]> => {
        tokens.push(token);
        if (queuedWaitMs !== undefined && request.call.case === "acquire" && request.call.value.maxWaitMs > 0) {
          write(create(ExchangeResponseSchema, { callId: request.callId, result: { case: "queued", value: { place: 0, waitMs: Math.min(queuedWaitMs, request.call.value.maxWaitMs) } } }));
        }
        const handled =
          request.call.case === "acquire"
            ? calls.acquire(request.call.value).then((a) => (isError(a) ? a : ({ case: "acquire", value: a } as const)))
            : request.call.case === "renew"
              ? calls.renew(request.call.value).then((a) => (isError(a) ? a : ({ case: "renew", value: a } as const)))
              : request.call.case === "release"
                ? calls.release(request.call.value).then((a) => (isError(a) ? a : ({ case: "release", value: a } as const)))
                : request.call.case === "checkKey"
                  ? calls.checkKey(request.call.value).then((a) => (isError(a) ? a : ({ case: "checkKey", value: a } as const)))
                  : Promise.resolve({ code: grpc.status.INVALID_ARGUMENT, details: "no call" });
        return handled.then((answer) => ("code" in answer ? { case: "error" as const, value: create(CallErrorSchema, { code: answer.code, message: answer.details }) } : answer));
      };
      call.on("data", (request: ExchangeRequest) => {
        if (exchangeDrop) return;
        exchangeMessages.push(request);
        const requests = options.batches && request.call.case === "batch" ? request.call.value.calls : [request];
        inFlight++;
        void Promise.all(requests.map((r) => handle(r).then((result) => create(ExchangeResponseSchema, { callId: r.callId, result })))).then((answers) => {
          inFlight--;
          if (answers.length === 1) write(answers[0] as ExchangeResponse);
          else write(create(ExchangeResponseSchema, { callId: 0, result: { case: "batch", value: { results: answers } } }));
          endWhenIdle();
        });
      });
      call.on("end", () => {
        clientDone = true;
        endWhenIdle();
      });
      call.on("error", () => {});
    },
  };

  const server = new grpc.Server();
  server.addService(toGrpcServiceDefinition(LeaseService), implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );

  return {
    port,
    target: `dns:///127.0.0.1:${port}`,
    acquires,
    renews,
    releases,
    tokens,
    enqueueAcquire(...answers) {
      queue.push(...answers);
    },
    failRenewWith(code) {
      renewError = code;
    },
    delayReleases(ms) {
      releaseDelayMs = ms;
    },
    endExchanges() {
      for (const call of exchanges.splice(0)) if (!call.writableEnded) call.end();
    },
    breakExchanges(code = grpc.status.UNAVAILABLE) {
      for (const call of exchanges.splice(0)) call.emit("error", { code, details: "scripted stream failure" });
    },
    exchangeCount: () => exchangesOpened,
    keyChecks,
    exchangeMessages,
    exchangeAnswers,
    answerCheckKey(verdict) {
      keyVerdict = verdict;
    },
    announceQueued(waitMs) {
      queuedWaitMs = waitMs;
    },
    sendKeysChanged() {
      const notice = create(ExchangeResponseSchema, { callId: 0, result: { case: "keysChanged", value: {} } });
      for (const call of exchanges) if (!call.cancelled && !call.writableEnded) call.write(notice);
    },
    listModelsCalls,
    answerListModels(answer) {
      modelsAnswer = answer;
    },
    ignoreExchangeCalls(ignore) {
      exchangeDrop = ignore;
    },
    waitForReleases: (n, timeoutMs = 5_000) => waitFor(releases, n, timeoutMs, "releases"),
    waitForRenews: (n, timeoutMs = 5_000) => waitFor(renews, n, timeoutMs, "renews"),
    async waitForAllReleased(timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (outstanding.size > 0) {
        if (Date.now() > deadline) throw new Error(`leases never released: ${[...outstanding].join(", ")}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close() {
      return new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Calls still open (none in a passing test) must not hold the shutdown.
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1_000).unref();
      });
    },
  };
}

async function waitFor<T>(list: T[], n: number, timeoutMs: number, what: string): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  while (list.length < n) {
    if (Date.now() > deadline) throw new Error(`saw ${list.length} of ${n} ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return list.slice();
}

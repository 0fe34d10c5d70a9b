/**
 * A scripted LeaseService for relay tests: a real grpc-js server on a loopback
 * port, behind the same generated definition the control plane serves, that
 * records every call and answers from a queue (lease, refusal, gRPC error, delay).
 * When the queue is empty, Acquire grants a lease on the first account not
 * excluded.
 */
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { toGrpcServiceDefinition } from "@claude-relay/proto/grpc";
import {
  type AcquireRequest,
  type AcquireResponse,
  AcquireResponseSchema,
  CredentialKind,
  LeaseService,
  RefusalReason,
  type ReleaseRequest,
  type ReleaseResponse,
  ReleaseResponseSchema,
  type RenewRequest,
  type RenewResponse,
  RenewResponseSchema,
} from "@claude-relay/proto/lease";

/** An account the fake hands out. */
export interface FakeAccount {
  id: string;
  baseUrl: string;
  credentialKind?: CredentialKind;
  credential?: string;
  proxyUrl?: string;
}

/** One scripted Acquire answer, given after `delayMs` when set. */
export type FakeAcquireAnswer = (
  | { lease: { account?: FakeAccount; ttlMs?: number; keyId?: string } }
  | { refusal: { reason: RefusalReason; message?: string; retryAfterMs?: number } }
  | { error: grpc.status; details?: string }
) & { delayMs?: number };

/** Options of startFakeLeaseServer. */
export interface FakeLeaseServerOptions {
  accounts: FakeAccount[];
  /** TTL of granted leases; default 30 s. */
  ttlMs?: number;
  /** When set, calls without this `x-internal-token` get UNAUTHENTICATED. */
  token?: string;
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
  waitForReleases(n: number, timeoutMs?: number): Promise<ReleaseRequest[]>;
  waitForRenews(n: number, timeoutMs?: number): Promise<RenewRequest[]>;
  /** Resolves once every lease granted so far has been released (whatever the lists were reset to). */
  waitForAllReleased(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1. */
export async function startFakeLeaseServer(options: FakeLeaseServerOptions): Promise<FakeLeaseServer> {
  const acquires: AcquireRequest[] = [];
  const renews: RenewRequest[] = [];
  const releases: ReleaseRequest[] = [];
  const tokens: string[] = [];
  const queue: FakeAcquireAnswer[] = [];
  let renewError: grpc.status | undefined;
  let releaseDelayMs = 0;
  let leaseCount = 0;
  const outstanding = new Set<string>();

  function authorized(call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<never>): boolean {
    const token = String(call.metadata.get("x-internal-token")[0] ?? "");
    tokens.push(token);
    if (options.token === undefined || token === options.token) return true;
    callback({ code: grpc.status.UNAUTHENTICATED, details: "bad internal token" });
    return false;
  }

  function answerAcquire(request: AcquireRequest, answer: FakeAcquireAnswer, callback: grpc.sendUnaryData<AcquireResponse>): void {
    if ("error" in answer) return callback({ code: answer.error, details: answer.details ?? "scripted failure" });
    if ("refusal" in answer) {
      const refusal = { message: "", retryAfterMs: 0, ...answer.refusal };
      return callback(null, create(AcquireResponseSchema, { result: { case: "refusal", value: refusal } }));
    }
    const account = answer.lease.account ?? options.accounts.find((a) => !request.excludeAccounts.includes(a.id));
    if (!account) {
      const refusal = { reason: RefusalReason.NO_ACCOUNT, message: "no account", retryAfterMs: 0 };
      return callback(null, create(AcquireResponseSchema, { result: { case: "refusal", value: refusal } }));
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
      },
    };
    outstanding.add(lease.leaseId);
    callback(null, create(AcquireResponseSchema, { result: { case: "lease", value: lease } }));
  }

  const implementation: grpc.UntypedServiceImplementation = {
    acquire(call: grpc.ServerUnaryCall<AcquireRequest, AcquireResponse>, callback: grpc.sendUnaryData<AcquireResponse>) {
      if (!authorized(call, callback as grpc.sendUnaryData<never>)) return;
      acquires.push(call.request);
      const answer = queue.shift() ?? { lease: {} };
      if (answer.delayMs) setTimeout(() => answerAcquire(call.request, answer, callback), answer.delayMs);
      else answerAcquire(call.request, answer, callback);
    },
    renew(call: grpc.ServerUnaryCall<RenewRequest, RenewResponse>, callback: grpc.sendUnaryData<RenewResponse>) {
      if (!authorized(call, callback as grpc.sendUnaryData<never>)) return;
      renews.push(call.request);
      if (renewError !== undefined) return callback({ code: renewError, details: "scripted renew failure" });
      callback(null, create(RenewResponseSchema, { ttlMs: options.ttlMs ?? 30_000 }));
    },
    release(call: grpc.ServerUnaryCall<ReleaseRequest, ReleaseResponse>, callback: grpc.sendUnaryData<ReleaseResponse>) {
      if (!authorized(call, callback as grpc.sendUnaryData<never>)) return;
      const answer = (): void => {
        releases.push(call.request);
        outstanding.delete(call.request.leaseId);
        callback(null, create(ReleaseResponseSchema, {}));
      };
      if (releaseDelayMs > 0) setTimeout(answer, releaseDelayMs);
      else answer();
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

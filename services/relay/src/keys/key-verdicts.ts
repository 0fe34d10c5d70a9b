/**
 * The relay's short memory of which client keys the control plane accepted or
 * refused, by key hash, so a request's key is judged before its body is read
 * and a flood of bad keys costs the control plane one CheckKey per key, not
 * one per request. It owns the verdicts' lifetimes; what a verdict allows is
 * the key gate's (key-gate.ts), and Acquire still judges every request exactly.
 *
 * - Accepted keys are kept `acceptedTtlMs` (10 s), refused ones `refusedTtlMs`
 *   (5 s): a refused key that was just created or re-enabled waits at most
 *   that long, an accepted key that was revoked is refused by Acquire anyway.
 * - Each kind is bounded by `maxEntries` in a map of its own, the oldest
 *   dropped first, so a flood of distinct bad keys never pushes out good ones.
 * - Concurrent misses on one key share one CheckKey.
 * - clear() (a control plane said keys changed) drops everything; forget()
 *   (Acquire refused the key as invalid) drops that key's verdict, so its next
 *   request asks again. A check in flight across either is handed to its
 *   caller, not kept.
 * - A check that could not run (control plane unreachable, or too old to
 *   answer it) is `unchecked` and never kept: the request goes on to Acquire.
 */
import { Counter, type Registry } from "@claude-relay/metrics";
import type { KeyCheckAnswer } from "../control-plane/lease-client.js";

/** What the relay knows of a key: accepted (with its id), refused (with the message to show), or not known. */
export type KeyVerdict = { kind: "accepted"; keyId: string } | { kind: "refused"; message: string } | { kind: "unchecked" };

/** Options of createKeyVerdicts. */
export interface KeyVerdictsOptions {
  /** Asks the control plane (LeaseClient.checkKey). */
  check(keyHash: string): Promise<KeyCheckAnswer>;
  /** How long an accepted key is trusted; default 10 s. */
  acceptedTtlMs?: number;
  /** How long a refused key is refused without asking again; default 5 s. */
  refusedTtlMs?: number;
  /** Most verdicts kept of each kind; default 10,000. */
  maxEntries?: number;
  /** Counts verdicts as relay_key_verdicts_total{result, source}. */
  registry?: Registry;
  now?: () => number;
}

/** The verdict cache. */
export interface KeyVerdicts {
  /** The key's verdict, from memory or from the control plane; never rejects. */
  verdict(keyHash: string): Promise<KeyVerdict>;
  /** Drops a key's verdict (Acquire refused it as KEY_INVALID). */
  forget(keyHash: string): void;
  /** Forgets every verdict (keys changed). */
  clear(): void;
}

interface Kept<T> {
  value: T;
  expiresAtMs: number;
}

const VERDICTS_TOTAL = "relay_key_verdicts_total";

/** Creates the verdict cache. */
export function createKeyVerdicts(options: KeyVerdictsOptions): KeyVerdicts {
  const now = options.now ?? Date.now;
  const acceptedTtlMs = options.acceptedTtlMs ?? 10_000;
  const refusedTtlMs = options.refusedTtlMs ?? 5_000;
  const maxEntries = Math.max(1, options.maxEntries ?? 10_000);
  const counter = options.registry && verdictCounter(options.registry);
  const accepted = new Map<string, Kept<{ kind: "accepted"; keyId: string }>>();
  const refused = new Map<string, Kept<{ kind: "refused"; message: string }>>();
  const inFlight = new Map<string, Promise<KeyVerdict>>();
  let generation = 0;

  function keep<T>(map: Map<string, Kept<T>>, keyHash: string, value: T, ttlMs: number): void {
    map.delete(keyHash);
    if (map.size >= maxEntries) map.delete(map.keys().next().value as string);
    map.set(keyHash, { value, expiresAtMs: now() + ttlMs });
  }

  function remembered(keyHash: string): KeyVerdict | undefined {
    for (const map of [accepted, refused] as const) {
      const kept = map.get(keyHash);
      if (kept === undefined) continue;
      if (kept.expiresAtMs > now()) return kept.value;
      map.delete(keyHash);
    }
    return undefined;
  }

  async function ask(keyHash: string): Promise<KeyVerdict> {
    const started = generation;
    const answer = await options.check(keyHash);
    const current = started === generation;
    switch (answer.kind) {
      case "accepted":
        if (current) keep(accepted, keyHash, { kind: "accepted", keyId: answer.keyId }, acceptedTtlMs);
        return { kind: "accepted", keyId: answer.keyId };
      case "refused":
        if (current) keep(refused, keyHash, { kind: "refused", message: answer.refusal.message }, refusedTtlMs);
        return { kind: "refused", message: answer.refusal.message };
      default:
        return { kind: "unchecked" };
    }
  }

  return {
    verdict(keyHash) {
      const known = remembered(keyHash);
      if (known !== undefined) return count(known, "cache");
      const pending = inFlight.get(keyHash);
      if (pending !== undefined) return pending;
      const promise = ask(keyHash).then((verdict) => count(verdict, "control_plane"));
      inFlight.set(keyHash, promise);
      const cleanup = () => {
        if (inFlight.get(keyHash) === promise) inFlight.delete(keyHash);
      };
      promise.then(cleanup, cleanup);
      return promise;
    },
    forget(keyHash) {
      generation++;
      accepted.delete(keyHash);
      refused.delete(keyHash);
    },
    clear() {
      generation++;
      accepted.clear();
      refused.clear();
    },
  };

  function count(verdict: KeyVerdict, source: "cache" | "control_plane"): Promise<KeyVerdict> {
    counter?.inc({ result: verdict.kind, source });
    return Promise.resolve(verdict);
  }
}

function verdictCounter(registry: Registry): Counter<"result" | "source"> {
  return (
    (registry.getSingleMetric(VERDICTS_TOTAL) as Counter<"result" | "source"> | undefined) ??
    new Counter({
      name: VERDICTS_TOTAL,
      help: "Client key verdicts the relay used before reading a request, by result (accepted, refused, unchecked) and source (cache, control_plane).",
      labelNames: ["result", "source"],
      registers: [registry],
    })
  );
}

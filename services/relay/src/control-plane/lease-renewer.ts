/**
 * Keeps a lease alive while its request runs: renews at about a third of the TTL,
 * so two renewals can fail before the lease lapses. A failed renewal is logged and
 * retried sooner; it never touches the stream, because cutting a healthy answer
 * costs the client more than briefly holding a slot the control plane may count
 * twice. A lease the control plane no longer knows (NOT_FOUND) is not renewed again.
 */
import { status as grpcStatus } from "@grpc/grpc-js";
import type { Logger } from "@claude-relay/logging";
import type { ControlPlaneError } from "./lease-client.js";

/** Options of startLeaseRenewer. */
export interface LeaseRenewerOptions {
  leaseId: string;
  /** The TTL the lease was granted with. */
  ttlMs: number;
  /** Renews the lease; resolves to the new TTL. */
  renew(leaseId: string): Promise<number>;
  log: Logger;
}

/** A running renewer. */
export interface LeaseRenewer {
  /** Stops renewing; a renewal already sent is left to finish. */
  stop(): void;
  /** How many renewals succeeded so far. */
  readonly renewals: number;
}

/** Starts renewing a lease until stop() is called. */
export function startLeaseRenewer(options: LeaseRenewerOptions): LeaseRenewer {
  let stopped = false;
  let renewals = 0;
  let timer: NodeJS.Timeout | undefined;

  function schedule(ttlMs: number, failed: boolean): void {
    if (stopped) return;
    const interval = Math.max(ttlMs / 3, 50);
    timer = setTimeout(tick, failed ? Math.max(interval / 2, 50) : interval);
  }

  function tick(): void {
    timer = undefined;
    options.renew(options.leaseId).then(
      (ttlMs) => {
        renewals++;
        schedule(ttlMs > 0 ? ttlMs : options.ttlMs, false);
      },
      (error: ControlPlaneError) => {
        if (error.grpcCode === grpcStatus.NOT_FOUND) {
          options.log.warn({ leaseId: options.leaseId }, "lease expired before its request ended; no longer renewed");
          return;
        }
        options.log.warn({ leaseId: options.leaseId, err: error }, "lease renewal failed; retrying");
        schedule(options.ttlMs, true);
      },
    );
  }

  schedule(options.ttlMs, false);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    get renewals() {
      return renewals;
    },
  };
}

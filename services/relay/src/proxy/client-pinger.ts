/**
 * `event: ping` keep-alives toward a streaming client while the upstream is
 * silent, so idle timeouts of proxies and load balancers between the client and
 * the relay do not cut a long answer. The pings are the relay's own bytes, not
 * the upstream's: one goes out only after `intervalMs` without an upstream
 * byte, only while the stream so far ends between two events
 * (event-boundary.ts) and only when the client is keeping up.
 */
import { createEventBoundary } from "./event-boundary.js";

/** The keep-alive event, written as the Messages API writes its own. */
export const PING_EVENT = Buffer.from('event: ping\ndata: {"type": "ping"}\n\n', "utf8");

/** Options of startClientPinger. */
export interface ClientPingerOptions {
  intervalMs: number;
  /** The keep-alive to send; PING_EVENT when not given. */
  event?: Buffer;
  /** Writes a ping to the client. */
  send(ping: Buffer): void;
  /** False while the client cannot take a ping now (gone, or not reading). */
  writable(): boolean;
}

/** A running pinger. */
export interface ClientPinger {
  /** Tells it of an upstream chunk just forwarded to the client. */
  forwarded(chunk: Buffer): void;
  stop(): void;
}

/** Starts pinging; the first ping can come `intervalMs` from now. */
export function startClientPinger(options: ClientPingerOptions): ClientPinger {
  const boundary = createEventBoundary();
  const event = options.event ?? PING_EVENT;
  let quietSince = Date.now();
  let timer: NodeJS.Timeout | undefined = setTimeout(tick, options.intervalMs);

  function tick(): void {
    const silentMs = Date.now() - quietSince;
    if (silentMs < options.intervalMs) {
      timer = setTimeout(tick, options.intervalMs - silentMs);
      return;
    }
    // Mid-event, or with the client not reading, there is nothing to do but wait.
    if (boundary.atBoundary && options.writable()) options.send(event);
    quietSince = Date.now();
    timer = setTimeout(tick, options.intervalMs);
  }

  return {
    forwarded(chunk) {
      boundary.push(chunk);
      quietSince = Date.now();
    },
    stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

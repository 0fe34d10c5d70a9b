/**
 * The health of one (origin, proxy) pair, from its connects: after
 * `deadAfterFailures` failed connects in a row the pair is dead, and attempts on
 * it fail at once (so the request fails over to another account instead of
 * waiting out a connect timeout). While dead it is probed in the background every
 * `probeIntervalMs`; the first probe that gets through, or any connect that
 * succeeds, brings it back. What a probe is, is the caller's business.
 */

/** Options of createOriginHealth. */
export interface OriginHealthOptions {
  deadAfterFailures: number;
  probeIntervalMs: number;
  /** Resolves true when the pair's first hop accepts a connection; never rejects. */
  probe(): Promise<boolean>;
  /** Called on every change between alive and dead. */
  onChange?(dead: boolean): void;
}

/** The health of one pair. */
export interface OriginHealth {
  /** A connect succeeded. */
  connected(): void;
  /** A connect failed. */
  failed(): void;
  /** True while the pair is marked dead. */
  readonly dead: boolean;
  /** Stops probing. */
  close(): void;
}

/** Creates the health of one pair, alive to begin with. */
export function createOriginHealth(options: OriginHealthOptions): OriginHealth {
  let failures = 0;
  let dead = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let probing = false;

  function setDead(value: boolean): void {
    if (dead === value) return;
    dead = value;
    if (!dead && timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    options.onChange?.(dead);
  }

  function scheduleProbe(): void {
    if (closed || !dead || timer || probing) return;
    timer = setTimeout(runProbe, options.probeIntervalMs);
    // A probe never keeps the process alive.
    timer.unref();
  }

  function runProbe(): void {
    timer = undefined;
    probing = true;
    options.probe().then((ok) => {
      probing = false;
      if (closed || !dead) return;
      if (ok) {
        failures = 0;
        setDead(false);
      } else {
        scheduleProbe();
      }
    });
  }

  return {
    connected() {
      failures = 0;
      setDead(false);
    },
    failed() {
      failures++;
      if (failures >= options.deadAfterFailures && !dead) {
        setDead(true);
        scheduleProbe();
      }
    },
    get dead() {
      return dead;
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/**
 * The timer of a store that gathers writes in memory and sends them later (affinity
 * counts, the session index): armed only while something waits, never keeping the
 * process alive, stopped for good by close(). A flush the timer starts may fail; the
 * store then puts back what it held and calls schedule() again, so the next flush
 * retries it, and the rejection goes no further.
 */

/** The deferred flush of one store. */
export interface DeferredFlush {
  /** Arms the timer, unless it is armed already or closed. */
  schedule(): void;
  /** Disarms it: a flush is starting now. */
  cancel(): void;
  /** Disarms it for good: schedule() does nothing from now on. */
  close(): void;
}

/** Calls `flush` `delayMs` after the first schedule() since the last flush. */
export function createDeferredFlush(delayMs: number, flush: () => Promise<void>): DeferredFlush {
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const cancel = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  return {
    schedule() {
      if (timer || closed) return;
      timer = setTimeout(() => {
        timer = undefined;
        flush().catch(() => {});
      }, delayMs);
      timer.unref();
    },
    cancel,
    close() {
      closed = true;
      cancel();
    },
  };
}

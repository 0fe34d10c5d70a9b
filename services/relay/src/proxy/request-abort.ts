/**
 * The abort side of one request: set once, when the client hangs up or the relay
 * shuts down, and heard by the one attempt running at the time. It stands in
 * for an AbortController, whose EventTarget costs microseconds per request on
 * the hot path for a feature (many listeners, events) nothing here uses.
 */

/** One request's abort state. */
export interface RequestAbort {
  /** True once abort() was called. */
  readonly aborted: boolean;
  /** What abort() was called with. */
  readonly reason: Error | undefined;
  /** Aborts the request, once; the listener, if any, is called synchronously. */
  abort(reason: Error): void;
  /** Sets the one listener (an attempt's), replacing any other; undefined removes it. */
  listen(listener: (() => void) | undefined): void;
}

/** Creates the abort state of a request that is running. */
export function createRequestAbort(): RequestAbort {
  let reason: Error | undefined;
  let listener: (() => void) | undefined;
  return {
    get aborted() {
      return reason !== undefined;
    },
    get reason() {
      return reason;
    },
    abort(why) {
      if (reason !== undefined) return;
      reason = why;
      const notify = listener;
      listener = undefined;
      notify?.();
    },
    listen(next) {
      listener = next;
    },
  };
}

/**
 * Gathers what is handed in during one turn of the event loop and gives it out
 * together, once per turn, in arrival order. It owns only when a batch ends:
 * at the check phase of the turn (setImmediate), or at once when it reaches
 * `maxItems`. What a batch becomes on the wire is the caller's business.
 *
 * Both ends of the lease service's Exchange stream use it: the relay for the
 * calls it sends as an ExchangeBatch, the control plane for the answers it
 * sends as an ExchangeResponseBatch.
 *
 * Why setImmediate and not queueMicrotask: the calls come from
 * separate I/O callbacks (HTTP requests, Redis replies), and Node drains
 * the microtask queue after every callback, so a microtask flush would send
 * almost every call alone. setImmediate runs once, after every I/O callback of
 * the turn, so the calls of all of them go together; a call waits at most for
 * the rest of the turn it was made in (ioredis defers its auto-pipeline the
 * same way, for the same reason).
 */

/** Options of createTurnBatcher. */
export interface TurnBatcherOptions<T> {
  /** The most items one batch holds; reaching it flushes at once. */
  maxItems: number;
  /** Receives each batch, never empty. */
  flush(items: T[]): void;
  /** Runs `task` at the end of the turn; default setImmediate (tests may step turns by hand). */
  schedule?: (task: () => void) => void;
}

/** A batcher for one stream. */
export interface TurnBatcher<T> {
  /** Queues an item; the batch goes out at the end of the turn, or now when full. */
  add(item: T): void;
  /** Removes and returns what is queued, unsent. */
  take(): T[];
  /** Items queued and not flushed yet. */
  readonly size: number;
}

/** Creates a batcher that flushes once per event-loop turn. */
export function createTurnBatcher<T>(options: TurnBatcherOptions<T>): TurnBatcher<T> {
  const maxItems = Math.max(1, options.maxItems);
  const schedule = options.schedule ?? ((task: () => void) => void setImmediate(task));
  let queue: T[] = [];
  let scheduled = false;

  const flushQueued = () => {
    scheduled = false;
    if (queue.length === 0) return;
    const items = queue;
    queue = [];
    options.flush(items);
  };

  return {
    add(item) {
      queue.push(item);
      if (queue.length >= maxItems) {
        const items = queue;
        queue = [];
        options.flush(items);
        return;
      }
      if (!scheduled) {
        scheduled = true;
        schedule(flushQueued);
      }
    },
    take() {
      const items = queue;
      queue = [];
      return items;
    },
    get size() {
      return queue.length;
    },
  };
}

/**
 * Group commit of usage writes. Counter increments of many requests are summed
 * per hash and per field into one pending batch, token-window entries are
 * listed per window beside them, and a flush writes the batch with one script
 * call per hash-tag group (lua/add-counters.lua): every key of a call shares
 * one tag, so the call stays inside one Redis Cluster slot (redis/keys.ts).
 *
 * At most one flush is in flight. An increment that finds none is flushed
 * `lingerMs` later, so the increments that arrive meanwhile join it (with 0,
 * at the end of its tick, so the calls ride in the caller's own auto-pipelined
 * write); increments that arrive while one is in flight wait for it and then
 * go out together at once. Under load the batches grow by themselves.
 *
 * Each `add` and `addToWindow` returns the promise of the call that carries
 * its writes, so a caller learns that they are written, or that their call
 * failed, once that call answers. What to count, and for how long, is the
 * caller's; whether a window counts an entry is the script's (its owner's
 * token limit).
 */

/** Writes one group: its keys and arguments in the layout of `lua/add-counters.lua`. */
export type CounterWriter = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/** A field of a counter hash and how much to add to it (an integer). */
export type CounterIncrement = readonly [field: string, by: number];

/** A rolling token window: its owner's record (the window's length and token limit), the window and the sum of its tokens; one hash tag. */
export interface TokenWindow {
  record: string;
  window: string;
  total: string;
}

/** One request's tokens in a token window. */
export interface TokenWindowEntry {
  /** "<lease id>:<tokens>": whoever trims the window reads a leaving entry's tokens from it. */
  member: string;
  tokens: number;
  /** When the request ended (ms): the entry's score. */
  endMs: number;
}

/** Collects increments and window entries and writes them in batches. */
export interface CounterBatch {
  /**
   * Adds the increments to `hash` in the next flush and keeps the hash `ttlSeconds`
   * (0 keeps it for good). Returns the reply of the call that writes it.
   */
  add(hash: string, ttlSeconds: number, increments: Iterable<CounterIncrement>): Promise<unknown>;
  /**
   * Counts the entry in `window` in the next flush, in the call of the record's hash tag,
   * when the record sets a token limit. Returns the reply of the call that writes it.
   */
  addToWindow(window: TokenWindow, entry: TokenWindowEntry): Promise<unknown>;
}

interface PendingHash {
  ttlSeconds: number;
  counters: Map<string, number>;
}

interface PendingWindow {
  keys: TokenWindow;
  entries: TokenWindowEntry[];
}

interface PendingGroup {
  hashes: Map<string, PendingHash>;
  /** By window key. */
  windows: Map<string, PendingWindow>;
  written: Promise<unknown>;
  carry: (call: Promise<unknown>) => void;
}

/**
 * The part of a key Redis Cluster hashes: the text between the first `{` and
 * the next `}` when that is not empty, else the whole key.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf("{");
  const close = open < 0 ? -1 : key.indexOf("}", open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/** The arguments of one group's call, in the layout of `lua/add-counters.lua`: its hashes, then its windows. */
function groupArgs({ hashes, windows }: PendingGroup): { keys: string[]; args: (string | number)[] } {
  const keys: string[] = [];
  const args: (string | number)[] = [];
  for (const [key, { ttlSeconds, counters }] of hashes) {
    keys.push(key);
    args.push(ttlSeconds, counters.size);
    for (const [field, by] of counters) args.push(field, by);
  }
  for (const { keys: window, entries } of windows.values()) {
    keys.push(window.record, window.window, window.total);
    args.push("window", entries.length);
    for (const { member, tokens, endMs } of entries) args.push(member, tokens, endMs);
  }
  return { keys, args };
}

/** Options of createCounterBatch. */
export interface CounterBatchOptions {
  /** How long the first increment of a batch waits for others before the batch is written; default 0. */
  lingerMs?: number;
}

/** Builds a batch that writes through `write`. */
export function createCounterBatch(write: CounterWriter, options: CounterBatchOptions = {}): CounterBatch {
  const lingerMs = options.lingerMs ?? 0;
  let pending = new Map<string, PendingGroup>();
  let scheduled = false;
  let inFlight = false;

  /** `waited`: the pending increments already waited (for a flush in flight), so they go at once. */
  const schedule = (waited = false) => {
    if (scheduled || inFlight || pending.size === 0) return;
    scheduled = true;
    if (lingerMs > 0 && !waited) {
      setTimeout(flush, lingerMs);
      return;
    }
    // The end of the tick, not setImmediate: ioredis sends a tick's commands in its
    // own setImmediate, so a flush issued before it shares the write of the commands
    // the caller issued in the same tick.
    process.nextTick(flush);
  };

  const flush = () => {
    scheduled = false;
    const groups = [...pending.values()];
    pending = new Map();
    inFlight = true;
    const calls = groups.map((group) => {
      const { keys, args } = groupArgs(group);
      const call = issue(write, keys, args);
      group.carry(call);
      return call;
    });
    void Promise.allSettled(calls).then(() => {
      inFlight = false;
      schedule(true);
    });
  };

  const groupOf = (tag: string): PendingGroup => {
    const existing = pending.get(tag);
    if (existing) return existing;
    let carry: PendingGroup["carry"] = () => {};
    const written = new Promise<unknown>((resolve) => {
      carry = resolve;
    });
    // Its callers see a failure; this only keeps one that nobody awaits from going unhandled.
    written.catch(() => {});
    const group: PendingGroup = { hashes: new Map(), windows: new Map(), written, carry };
    pending.set(tag, group);
    return group;
  };

  return {
    add(hash, ttlSeconds, increments) {
      const group = groupOf(hashTagOf(hash));
      let entry = group.hashes.get(hash);
      if (!entry) {
        entry = { ttlSeconds, counters: new Map() };
        group.hashes.set(hash, entry);
      }
      entry.ttlSeconds = ttlSeconds;
      for (const [field, by] of increments) entry.counters.set(field, (entry.counters.get(field) ?? 0) + by);
      schedule();
      return group.written;
    },
    addToWindow(window, entry) {
      const group = groupOf(hashTagOf(window.record));
      let pendingWindow = group.windows.get(window.window);
      if (!pendingWindow) {
        pendingWindow = { keys: window, entries: [] };
        group.windows.set(window.window, pendingWindow);
      }
      pendingWindow.entries.push(entry);
      schedule();
      return group.written;
    },
  };
}

/** Calls `write`, turning a synchronous throw into a rejected call like any other failure. */
function issue(write: CounterWriter, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return write(keys, args);
  } catch (err) {
    return Promise.reject(err);
  }
}

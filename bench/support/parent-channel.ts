/**
 * The child's side of a bench script's link to its parent: options arrive as one
 * JSON argument, messages leave as JSON lines on stdout (`{"type": …}`), commands
 * arrive as JSON lines on stdin, and stdin closing means the parent is gone, so
 * the child exits rather than outlive it.
 */
import { createInterface } from "node:readline";

/** A child's link to the benchmark that started it. */
export interface ParentChannel {
  /** The JSON options passed as the first argument. */
  options<T>(): T;
  /** Sends one message (a JSON line on stdout). */
  emit<M extends { type: string }>(message: M): void;
  /** Sends the last message and exits 0 once it is written. */
  finish<M extends { type: string }>(message: M): void;
  /** Calls `handler` with each JSON command line from the parent. */
  onCommand(handler: (command: Record<string, unknown>) => void): void;
}

/** Opens the channel; `onParentGone` runs when stdin ends (default: exit 0). */
export function openParentChannel(onParentGone: () => void = () => process.exit(0)): ParentChannel {
  const handlers: Array<(command: Record<string, unknown>) => void> = [];
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    if (line.trim() === "") return;
    const command = JSON.parse(line) as Record<string, unknown>;
    for (const handler of handlers) handler(command);
  });
  lines.on("close", onParentGone);
  return {
    options<T>() {
      const raw = process.argv[2];
      if (raw === undefined) throw new Error("expected the options as one JSON argument");
      return JSON.parse(raw) as T;
    },
    emit(message) {
      process.stdout.write(`${JSON.stringify(message)}\n`);
    },
    finish(message) {
      process.stdout.write(`${JSON.stringify(message)}\n`, () => process.exit(0));
    },
    onCommand(handler) {
      handlers.push(handler);
    },
  };
}

/**
 * Test helper: records every write on an ioredis connection, with the commands it
 * carried. With auto-pipelining a tick's commands leave in one write, so the
 * number of writes an operation causes is its number of round trips.
 */
import type { Redis } from "ioredis";

/** One command as sent: its name and its first argument (the key, for all but scripts). */
export interface SentCommand {
  name: string;
  first: string;
}

/** Starts recording `target`'s writes (connected already); `batches` grows with each write. */
export function recordWrites(target: Redis): { batches: SentCommand[][] } {
  const log = { batches: [] as SentCommand[][] };
  const stream = (target as unknown as { stream: { write: (chunk: unknown, ...rest: unknown[]) => boolean } }).stream;
  const write = stream.write.bind(stream);
  stream.write = (chunk: unknown, ...rest: unknown[]) => {
    // Each command is a RESP array of bulk strings: its name, then its arguments.
    const commands = [...String(chunk).matchAll(/\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n(?:\$\d+\r\n([^\r]*)\r\n)?/g)];
    log.batches.push(commands.map((m) => ({ name: (m[1] as string).toLowerCase(), first: m[2] ?? "" })));
    return write(chunk, ...rest);
  };
  return log;
}

import { createServer } from "node:net";

/**
 * Ports this process handed out lately. The OS may offer a port again as soon as the probe closes it,
 * and a caller that asks for several ports before starting anything would then get one twice.
 */
const handedOut = new Set<number>();
const REMEMBERED = 4_096;
const TRIES = 20;

/** A TCP port that was free on 127.0.0.1 a moment ago (for processes that need a port up front), never one this process handed out lately. */
export async function freePort(): Promise<number> {
  for (let tries = 1; ; tries++) {
    const port = await probe();
    if (handedOut.has(port) && tries < TRIES) continue;
    handedOut.add(port);
    if (handedOut.size > REMEMBERED) handedOut.delete(handedOut.values().next().value as number);
    return port;
  }
}

/** Lets the OS pick a free port, and gives it back. */
function probe(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

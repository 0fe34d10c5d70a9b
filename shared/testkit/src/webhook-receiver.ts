/**
 * A webhook receiver on loopback for the notification tests: records every
 * request with its headers and raw body (a signature is over the exact bytes),
 * and answers scripted statuses, 200 once the script runs out.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the receiver got. */
export interface ReceivedHook {
  atMs: number;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A started receiver. */
export interface WebhookReceiver {
  url: string;
  received: ReceivedHook[];
  /** Statuses for the next requests, in order; 200 once they run out. */
  answer(...statuses: number[]): void;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 and a free port; its URL ends in /hook. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  const script: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ atMs: Date.now(), url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(script.shift() ?? 200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    answer: (...statuses) => script.push(...statuses),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

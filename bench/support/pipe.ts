/**
 * The pass-through both floors of relay-bench are built on: a node:http handler
 * that forwards each request to the upstream through one undici Pool and writes
 * the status, headers and body straight back (undici's `stream`, which writes
 * each body chunk into the response as it arrives). It filters headers as the
 * relay does (hop-by-hop out, client credentials swapped for an upstream key)
 * and does nothing else. `around`, when given, runs before the upstream call
 * and may refuse it; its `done` runs once the response has ended, however.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Dispatcher, Pool } from "undici";
import { clientResponseHeaders, upstreamRequestHeaders } from "@claude-relay/anthropic";

const UPSTREAM_KEY = "sk-ant-baseline-upstream-key";

/** Work wrapped around each upstream call: undefined refuses the request, else `done` ends it. */
export type Around = () => Promise<{ done(): void } | undefined>;

export function createPipe(pool: Pool, around?: Around) {
  function forward(req: IncomingMessage, res: ServerResponse): void {
    const headers = upstreamRequestHeaders(req.headers);
    // The body is streamed through as it came, so its length is still the client's.
    if (req.headers["content-length"] !== undefined) headers["content-length"] = req.headers["content-length"];
    headers["x-api-key"] = UPSTREAM_KEY;
    pool
      .stream({ method: req.method as Dispatcher.HttpMethod, path: req.url ?? "/", headers, body: req }, ({ statusCode, headers: upstream }) => {
        res.writeHead(statusCode, clientResponseHeaders(upstream));
        return res;
      })
      .catch((err: unknown) => {
        if (res.headersSent) return void res.destroy();
        res.writeHead(502, { "content-type": "application/json" }).end(JSON.stringify({ type: "error", error: { type: "api_error", message: String(err) } }));
      });
  }

  if (!around) return forward;
  return (req: IncomingMessage, res: ServerResponse) => {
    around().then(
      (slot) => {
        if (!slot) {
          req.resume();
          res.writeHead(529, { "content-type": "application/json" }).end('{"type":"error","error":{"type":"overloaded_error","message":"no slot"}}');
          return;
        }
        res.once("close", () => slot.done());
        forward(req, res);
      },
      (err: unknown) => {
        req.resume();
        res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ type: "error", error: { type: "api_error", message: String(err) } }));
      },
    );
  };
}

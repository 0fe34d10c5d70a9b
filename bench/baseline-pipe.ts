/**
 * The baseline the relay is measured against: the least a Node relay can do. A
 * node:http server forwards each request to the upstream through one undici Pool
 * and writes the status, headers and body straight back (undici's `stream`, which
 * writes each body chunk into the response as it arrives). It filters headers as
 * the relay does (hop-by-hop out, client credentials swapped for an upstream key)
 * and does nothing else: no control plane, no body parsing, no usage, no logs.
 *
 * Options (one JSON argument): `{ "upstream": url, "connections": n }`.
 * Prints `{"type":"ready","url":…}`; exits on SIGTERM or when the parent goes.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool, type Dispatcher } from "undici";
import { clientResponseHeaders, upstreamRequestHeaders } from "@claude-relay/anthropic";
import { openParentChannel } from "./support/parent-channel.js";

const UPSTREAM_KEY = "sk-ant-baseline-upstream-key";

function createPipe(pool: Pool) {
  return (req: IncomingMessage, res: ServerResponse) => {
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
  };
}

async function main(): Promise<void> {
  const server = createServer();
  let pool: Pool | undefined;
  const stop = () => {
    server.closeAllConnections();
    server.close();
    void (pool?.destroy() ?? Promise.resolve()).finally(() => process.exit(0));
  };
  const channel = openParentChannel(stop);
  const options = channel.options<{ upstream: string; connections: number }>();
  pool = new Pool(options.upstream, { connections: options.connections, pipelining: 1 });
  server.on("request", createPipe(pool));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  channel.emit({ type: "ready", url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * The baseline the relay is measured against: the least a Node relay can do, the
 * pass-through of support/pipe.ts and nothing else: no control plane, no body
 * parsing, no usage, no logs. With `lease` it is the lease floor instead: the
 * same pipe plus one exact Redis lease per request (support/floor-lease.ts).
 *
 * Options (one JSON argument): `{ "upstream": url, "connections": n, "lease"?: { "redisUrl", "limit", "ttlMs" } }`.
 * Prints `{"type":"ready","url":…}`; exits on SIGTERM or when the parent goes.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";
import { openParentChannel } from "./support/parent-channel.js";
import { createFloorLease, type FloorLeaseOptions } from "./support/floor-lease.js";
import { createPipe } from "./support/pipe.js";

async function main(): Promise<void> {
  const server = createServer();
  let pool: Pool | undefined;
  let lease: ReturnType<typeof createFloorLease> | undefined;
  const stop = () => {
    server.closeAllConnections();
    server.close();
    void Promise.all([pool?.destroy(), lease?.close()]).finally(() => process.exit(0));
  };
  const channel = openParentChannel(stop);
  const options = channel.options<{ upstream: string; connections: number; lease?: FloorLeaseOptions }>();
  pool = new Pool(options.upstream, { connections: options.connections, pipelining: 1 });
  lease = options.lease ? createFloorLease(options.lease) : undefined;
  server.on("request", createPipe(pool, lease?.around));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  channel.emit({ type: "ready", url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

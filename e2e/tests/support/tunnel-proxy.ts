/**
 * An HTTP CONNECT proxy on loopback that tunnels every target, whatever host it names, to one
 * local port. An account can then name an upstream host that resolves nowhere (and so is easy to
 * search for) while its requests still reach the mock. It asks for Basic credentials and can be
 * told to refuse them, which the relay sees as a connection failure.
 */
import { createServer, type IncomingMessage } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";

/** A running tunnel proxy. */
export interface TunnelProxy {
  port: number;
  /** The targets (`host:port`) of every CONNECT accepted. */
  targets: string[];
  /** While true, every CONNECT is answered 407 as if the credentials were wrong. */
  refuse: boolean;
  /** Cuts every open tunnel, so the next request must CONNECT again. */
  cutTunnels(): void;
  close(): Promise<void>;
}

/** Starts a proxy that accepts `username:password` and tunnels every CONNECT to 127.0.0.1:`toPort`. */
export async function startTunnelProxy(toPort: number, username: string, password: string): Promise<TunnelProxy> {
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => res.writeHead(405).end());
  const proxy: TunnelProxy = {
    port: 0,
    targets: [],
    refuse: false,
    cutTunnels: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.once("close", () => sockets.delete(client));
    if (proxy.refuse || req.headers["proxy-authorization"] !== expected) {
      client.end("HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    proxy.targets.push(req.url ?? "");
    const upstream = connect(toPort, "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.once("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.port = (server.address() as AddressInfo).port;
  return proxy;
}

/**
 * An undici dispatcher for an account's proxy (socks5://, socks5h://, http://,
 * https://, with or without credentials), for the control plane's own calls on
 * the account's behalf: the account test, the OAuth token calls and the Code
 * Assist setup calls. The caller closes it (`withProxy` does), and scrubs the
 * returned password from anything it reports.
 */
import { ProxyAgent, Socks5ProxyAgent, type Dispatcher } from "undici";

/** A one-off dispatcher for the proxy at `raw`, and its password ("" for none). */
export function proxyDispatcher(raw: string): { dispatcher: Dispatcher; password: string } {
  const url = new URL(raw);
  const password = decodeURIComponent(url.password);
  if (url.protocol === "socks5:" || url.protocol === "socks5h:") return { dispatcher: new Socks5ProxyAgent(raw), password };
  const token = url.username ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${password}`).toString("base64")}` : undefined;
  return { dispatcher: new ProxyAgent({ uri: `${url.protocol}//${url.host}`, ...(token && { token }) }), password };
}

/** Runs `call` with a dispatcher for the proxy at `proxyUrl` (undefined when it is ""), closed afterwards. */
export async function withProxy<T>(proxyUrl: string, call: (dispatcher: Dispatcher | undefined) => Promise<T>): Promise<T> {
  const proxy = proxyUrl === "" ? undefined : proxyDispatcher(proxyUrl);
  try {
    return await call(proxy?.dispatcher);
  } finally {
    await proxy?.dispatcher.close().catch(() => {});
  }
}

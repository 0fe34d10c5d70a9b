/** Test helpers shared by the admin API tests: signing in over Connect and catching RPC errors. */
import { ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "@claude-relay/proto/admin";

/** Logs in over HTTP/1.1 and returns the token and a transport that sends it as a bearer. */
export async function signIn(baseUrl: string, username: string, password: string): Promise<{ token: string; transport: Transport }> {
  const { token } = await createClient(AuthService, createConnectTransport({ baseUrl, httpVersion: "1.1" })).login({ username, password });
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return { token, transport: createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer] }) };
}

/** The ConnectError a call fails with; throws when it succeeds or fails otherwise. */
export async function rpcError(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(error instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${String(error)}`);
  return error;
}

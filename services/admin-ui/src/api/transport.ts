/**
 * The browser's transport to the admin API: Connect with JSON over HTTP/1.1 on
 * the page's own origin (the control plane serves both). Every call carries the
 * session's bearer token; an Unauthenticated answer to a call that carried one
 * means the session is gone, so the caller is told to sign in again.
 */
import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import type { InjectionKey } from "vue";

/** Where components find the transport (`provide(transportKey, transport)` in main.ts). */
export const transportKey: InjectionKey<Transport> = Symbol("admin-transport");

/** Options of createAuthInterceptor and createAdminTransport. */
export interface AdminTransportOptions {
  /** The current session token; empty when signed out. */
  getToken: () => string;
  /** Called when the server refused the token the call carried. */
  onUnauthenticated: () => void;
}

/** Adds `Authorization: Bearer <token>` and reports refused tokens. */
export function createAuthInterceptor({ getToken, onUnauthenticated }: AdminTransportOptions): Interceptor {
  return (next) => async (req) => {
    const token = getToken();
    if (token !== "") req.header.set("Authorization", `Bearer ${token}`);
    try {
      return await next(req);
    } catch (err) {
      // Without a token (Login with a wrong password) the refusal is the answer, not a lost session.
      if (token !== "" && ConnectError.from(err).code === Code.Unauthenticated) onUnauthenticated();
      throw err;
    }
  };
}

/** The Connect-web transport of the admin UI. */
export function createAdminTransport(options: AdminTransportOptions & { baseUrl: string }): Transport {
  return createConnectTransport({
    baseUrl: options.baseUrl,
    useBinaryFormat: false,
    interceptors: [createAuthInterceptor(options)],
  });
}

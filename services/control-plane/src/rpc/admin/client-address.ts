/**
 * The admin caller's network address, for sign-in limits and the audit log.
 * The node:http adapter puts it into every call's context values
 * (http/server.ts); handlers and interceptors read it with `clientAddressKey`.
 * `X-Forwarded-For` is believed only when the operator says a proxy in front
 * sets it (CONTROL_PLANE_TRUST_PROXY); otherwise any client could pick its own
 * address and dodge the limits.
 */
import type { IncomingMessage } from "node:http";
import { createContextKey, createContextValues, type ContextValues } from "@connectrpc/connect";

/** The caller's address; empty when unknown (a call that did not come through the HTTP server). */
export const clientAddressKey = createContextKey<string>("", { description: "client address" });

/**
 * The address to attribute a call to. With a trusted proxy it is the last
 * `X-Forwarded-For` entry, the one our proxy appended (entries before it are
 * whatever the client sent); else the socket's peer.
 */
export function resolveClientAddress(socketAddress: string | undefined, forwardedFor: string | string[] | undefined, trustProxy: boolean): string {
  if (trustProxy && forwardedFor !== undefined) {
    const hops = [forwardedFor].flat().join(",").split(",").map((hop) => hop.trim()).filter((hop) => hop !== "");
    const last = hops[hops.length - 1];
    if (last !== undefined) return normalize(last);
  }
  return normalize(socketAddress ?? "");
}

/** Context values for one admin request, carrying its client address. */
export function clientContextValues(req: IncomingMessage, trustProxy: boolean): ContextValues {
  return createContextValues().set(clientAddressKey, resolveClientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trustProxy));
}

/** "::ffff:10.0.0.1" (IPv4 on a dual-stack socket) reads as "10.0.0.1"; lengths are capped. */
function normalize(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "").slice(0, 100);
}

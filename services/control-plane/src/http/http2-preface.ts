/**
 * Telling an HTTP/2 connection from an HTTP/1.1 one on a cleartext port. A
 * client speaking HTTP/2 with prior knowledge (gRPC clients, `buf curl
 * --http2-prior-knowledge`, grpcurl -plaintext) opens with the fixed preface
 * of RFC 9113 §3.4; no HTTP/1.1 request line can start with it ("PRI" is no
 * method any HTTP/1.1 client sends).
 */

/** The client connection preface, RFC 9113 §3.4. */
export const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** "http2" or "http1" once the first bytes decide it, undefined while they could still be either. */
export function detectProtocol(firstBytes: Uint8Array): "http2" | "http1" | undefined {
  const n = Math.min(firstBytes.length, HTTP2_PREFACE.length);
  for (let i = 0; i < n; i++) if (firstBytes[i] !== HTTP2_PREFACE[i]) return "http1";
  return n === HTTP2_PREFACE.length ? "http2" : undefined;
}

import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { clientKeyHash, sha256Hex } from "./read-body.js";

const onSocket = (socket: object) => ({ socket }) as unknown as IncomingMessage;

describe("clientKeyHash", () => {
  it("is the key's sha256Hex, kept on the connection for its next requests", () => {
    const socket = {};
    expect(clientKeyHash(onSocket(socket), "cr_first")).toBe(sha256Hex("cr_first"));
    // The connection remembers the last key and its hash: the same key is not hashed again.
    const kept = Object.getOwnPropertySymbols(socket).map((symbol) => (socket as Record<symbol, unknown>)[symbol]);
    expect(kept).toEqual([{ key: "cr_first", hash: sha256Hex("cr_first") }]);
    expect(clientKeyHash(onSocket(socket), "cr_first")).toBe(sha256Hex("cr_first"));
  });

  it("hashes another key on the same connection anew, and never mixes connections", () => {
    const socket = {};
    clientKeyHash(onSocket(socket), "cr_first");
    expect(clientKeyHash(onSocket(socket), "cr_second")).toBe(sha256Hex("cr_second"));
    expect(clientKeyHash(onSocket({}), "cr_first")).toBe(sha256Hex("cr_first"));
    expect(clientKeyHash(onSocket(socket), "cr_first")).toBe(sha256Hex("cr_first"));
  });
});

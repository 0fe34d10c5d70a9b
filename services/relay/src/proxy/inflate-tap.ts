/**
 * The inflating side of a usage tap: a compressed body (the client asked for it,
 * the upstream obliged) is inflated for the provider's reader only, while the
 * compressed bytes go to the client unchanged. Nothing here throws into the
 * caller: a body the tap cannot read costs the usage numbers, never the response.
 */
import type { Transform } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import type { UsageTap } from "../providers/provider.js";

/** `reader` as is for an identity body; else a tap that inflates what it is pushed for `reader`. */
export function withInflation(reader: UsageTap, contentEncoding: string | undefined): UsageTap {
  const inflater = createInflater(contentEncoding);
  if (!inflater) return reader;

  let failed = false;
  inflater.on("data", (chunk: Buffer) => reader.push(chunk));
  inflater.on("error", () => {
    failed = true;
  });
  return {
    push(chunk) {
      if (!failed) inflater.write(chunk);
    },
    end() {
      if (failed) return reader.end();
      return new Promise<void>((resolve) => {
        inflater.once("end", resolve);
        inflater.once("error", resolve);
        inflater.end();
      }).then(() => reader.end());
    },
    get usage() {
      return reader.usage;
    },
    get complete() {
      return reader.complete;
    },
    get errorEvent() {
      return reader.errorEvent;
    },
    get hints() {
      return reader.hints;
    },
    get continuation() {
      return reader.continuation;
    },
  };
}

function createInflater(contentEncoding: string | undefined): Transform | undefined {
  switch ((contentEncoding ?? "").trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return createGunzip();
    case "deflate":
      return createInflate();
    case "br":
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { inject } from "vue";
import { MissingTransportError } from "./errors.js";
import { transportKey } from "./transport.js";

/** A typed admin API client over the transport provided by the app; call it in `setup`. */
export function useClient<T extends DescService>(service: T): Client<T> {
  const transport = inject(transportKey);
  if (transport === undefined) throw new MissingTransportError();
  return createClient(service, transport);
}

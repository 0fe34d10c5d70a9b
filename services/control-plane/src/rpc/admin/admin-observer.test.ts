import { Writable } from "node:stream";
import { Code, ConnectError, createContextValues, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { createLogger } from "@claude-relay/logging";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { AccountService } from "@claude-relay/proto/admin";
import { describe, expect, it } from "vitest";
import { createAdminObserver } from "./admin-observer.js";

function setup() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const registry = createMetricsRegistry("control-plane");
  const observer = createAdminObserver({ log: createLogger({ service: "control-plane", destination }), registry });
  const req = {
    stream: false,
    service: AccountService,
    method: AccountService.method.listAccounts,
    requestMethod: "POST",
    url: "http://127.0.0.1/claude_relay.admin.v1.AccountService/ListAccounts",
    signal: new AbortController().signal,
    header: new Headers(),
    contextValues: createContextValues(),
    message: {},
  } as unknown as UnaryRequest;
  const run = (fail: unknown) =>
    observer(async () => {
      if (fail !== undefined) throw fail;
      return { stream: false } as unknown as UnaryResponse;
    })(req);
  return { lines, registry, run };
}

async function caught(promise: Promise<unknown>): Promise<ConnectError> {
  const error = await promise.then(() => undefined, (err: unknown) => err);
  if (!(error instanceof ConnectError)) throw new Error("expected a ConnectError");
  return error;
}

describe("createAdminObserver", () => {
  it("hides an unexpected error behind a generic Internal error and logs its cause", async () => {
    const { lines, run } = setup();
    const error = await caught(run(new TypeError("cannot read properties of undefined (reading 'secretThing')")));
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toBe("internal error");
    expect(error.message).not.toContain("secretThing");
    expect(lines.join("")).toContain("secretThing");
    expect(lines.join("")).toContain("admin call failed");
  });

  it("answers Unavailable with generic text when Redis cannot be reached", async () => {
    const { lines, run } = setup();
    const redisDown = Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:6379"), { code: "ECONNREFUSED" });
    const error = await caught(run(redisDown));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.message).not.toContain("10.0.0.5");
    expect(lines.join("")).toContain("10.0.0.5:6379");
  });

  it("turns a store's input error into InvalidArgument with its message", async () => {
    const { lines, run } = setup();
    const storeError = Object.assign(new Error("baseUrl must use https:, http:"), { code: "ERR_INVALID_ACCOUNT" });
    const error = await caught(run(storeError));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("baseUrl must use https:, http:");
    expect(lines).toEqual([]);
  });

  it("passes Connect errors through unchanged and unlogged", async () => {
    const { lines, run } = setup();
    const original = new ConnectError("account \"x\" not found", Code.NotFound);
    expect(await caught(run(original))).toBe(original);
    expect(lines).toEqual([]);
  });

  it("counts calls by method and wire code name", async () => {
    const { registry, run } = setup();
    await run(undefined);
    await caught(run(new ConnectError("bad", Code.InvalidArgument)));
    const text = await registry.metrics();
    expect(text).toContain('control_plane_admin_rpc_total{method="claude_relay.admin.v1.AccountService/ListAccounts",code="ok",service="control-plane"} 1');
    expect(text).toContain('control_plane_admin_rpc_total{method="claude_relay.admin.v1.AccountService/ListAccounts",code="invalid_argument",service="control-plane"} 1');
  });
});

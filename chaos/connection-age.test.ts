/**
 * The control plane asks lease-service connections to reconnect once they reach
 * CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_MS (so relays behind a `dns:///` target
 * find replicas added since). Under a steady load, with ages shortened to a
 * second, the relay moves to new connections again and again and no request
 * fails: its lease streams are replaced before the old connection is closed.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startChaosStack, type ChaosStack } from "./support/chaos-stack.js";
import { sleep, startLoad, tally } from "./support/client.js";
import { figure } from "./support/figures.js";

const SCENARIO = "connection-age";
const CONCURRENCY = 8;

let stack: ChaosStack;

beforeAll(async () => {
  stack = await startChaosStack({
    controlPlaneEnv: { CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_MS: "800", CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_GRACE_MS: "3000" },
    relayEnv: { RELAY_CONTROL_PLANE_STREAM_MAX_AGE_MS: "400" },
  });
  stack.mock.setDefault({ kind: "message", delayMs: 10 });
});

afterAll(async () => {
  await stack?.stop();
});

/** The client ports of the established TCP connections to `port` on 127.0.0.1, from /proc/net/tcp. */
function clientPortsOf(port: number): string[] {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1] === local && fields[3] === "01")
    .map((fields) => fields[2] as string);
}

describe("lease-service connections that reach their maximum age", () => {
  it("are replaced under load without a failed request", async () => {
    const grpcPort = stack.controlPlanes[0]?.grpcPort as number;
    const seen = new Set<string>();
    const load = startLoad({ baseUrl: () => stack.relay.url, key: stack.clientKey, concurrency: CONCURRENCY, timeoutMs: 10_000 });
    const until = Date.now() + 6_000;
    while (Date.now() < until) {
      for (const client of clientPortsOf(grpcPort)) seen.add(client);
      await sleep(50);
    }
    const answers = await load.stop();

    figure(SCENARIO, "lease-service connections seen in 6 s (max age 0.8 s)", seen.size);
    figure(SCENARIO, "answers", JSON.stringify(tally(answers)));
    expect(answers.length).toBeGreaterThan(CONCURRENCY * 10);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    // The relay's first connection plus at least a few replacements (the health checks of /readyz add none: they are HTTP).
    expect(seen.size).toBeGreaterThanOrEqual(4);
  });
});

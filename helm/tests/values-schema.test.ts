import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { chartDir, createHelm, ensureHelm, type Helm, valuesDir } from "./render-chart.js";

/** Wrong values files and what helm must say about each. */
const rejected: { file: string; says: string[] }[] = [
  { file: "missing-redis-url.yaml", says: ["/redis/url", "minLength"] },
  { file: "redis-url-scheme.yaml", says: ["/redis/url", "does not match pattern"] },
  { file: "embedded-cluster.yaml", says: ["/redis/cluster", "value must be false"] },
  { file: "cluster-node.yaml", says: ["/redis/clusterNodes/0", "does not match pattern"] },
  { file: "log-level.yaml", says: ["/logLevel", "value must be one of"] },
  { file: "encryption-key.yaml", says: ["/secrets/encryptionKey", "does not match pattern"] },
  { file: "wrong-types.yaml", says: ["/relay/drainMs", "want integer", "/relay/autoscaling/minReplicas", "/controlPlane/grpcPort"] },
  { file: "unknown-key.yaml", says: ["/relay", "additional properties 'replicas' not allowed"] },
  { file: "probe-type.yaml", says: ["/controlPlane/livenessProbe/type", "'grpc', 'http'"] },
  { file: "ingress-without-hosts.yaml", says: ["/relay/ingress/hosts", "minItems"] },
  { file: "grace-too-short.yaml", says: ["relay.terminationGracePeriodSeconds (30s) must exceed relay.preStopSleepSeconds + relay.drainMs (65000ms)"] },
  { file: "upstream-url.yaml", says: ["/controlPlane/upstreamUrls/geminiCodeAssistUrl", "does not match pattern"] },
  { file: "lease-streams.yaml", says: ["/relay/controlPlaneStreams", "minimum: got 0, want 1", "/relay/controlPlaneStreamMaxAgeMs", "want integer"] },
  {
    file: "connection-age.yaml",
    says: ["/controlPlane/grpcMaxConnectionAgeMs", "minimum: got -1", "/controlPlane/grpcMaxConnectionAgeGraceMs", "minimum: got 0", "/controlPlane/usageFlushMs", "maximum: got 5,000"],
  },
  {
    file: "notifications.yaml",
    says: ["/controlPlane/notifications/maxAttempts", "minimum: got 0, want 1", "/controlPlane/notifications/timeoutMs", "minimum: got 50, want 100", "additional properties 'retries' not allowed"],
  },
  {
    file: "queue.yaml",
    says: ["/relay/queueMaxWaitMs", "want 600,000", "/controlPlane/queue/maxWaiters", "minimum: got 0, want 1", "/controlPlane/queue/pollMs", "minimum: got 1, want 5"],
  },
  { file: "metrics-port-clash.yaml", says: ["relay.metricsPort (8080) must differ from relay.port"] },
  { file: "metrics-port-clash-control-plane.yaml", says: ["controlPlane.metricsPort (8081) must differ from controlPlane.httpPort and controlPlane.grpcPort"] },
  {
    file: "connection-grace-too-short.yaml",
    says: ["controlPlane.grpcMaxConnectionAgeGraceMs (600000ms) must exceed relay.controlPlaneStreamMaxAgeMs (600000ms)"],
  },
];

let helm: Helm;

beforeAll(() => {
  helm = createHelm(ensureHelm());
});

describe("values.schema.json and render-time checks", () => {
  it.each(rejected)("rejects invalid/$file with a message naming the problem", ({ file, says }) => {
    const result = helm.run(["template", "rel", chartDir, "--values", join(valuesDir, "invalid", file)]);
    expect(result.ok).toBe(false);
    const output = result.ok ? "" : result.output;
    for (const fragment of says) expect(output).toContain(fragment);
  });

  it("accepts a rediss:// URL kept in an existing Secret without an inline URL", () => {
    const result = helm.run(["template", "rel", chartDir, "--set", "redis.existingSecret=team-redis"]);
    expect(result.ok ? "" : result.output).toBe("");
  });

  it("accepts a connection-age grace below the relay's stream age once connections never age", () => {
    const values = ["redis.url=redis://redis:6379", "controlPlane.grpcMaxConnectionAgeGraceMs=60000"];
    expect(helm.run(["template", "rel", chartDir, "--set", values.join(",")]).ok).toBe(false);
    const result = helm.run(["template", "rel", chartDir, "--set", [...values, "controlPlane.grpcMaxConnectionAgeMs=0"].join(",")]);
    expect(result.ok ? "" : result.output).toBe("");
  });
});

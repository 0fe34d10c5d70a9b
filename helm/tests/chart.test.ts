import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  checkDeploymentSelectors,
  checkEnvReferences,
  checkHardening,
  checkNoSecretsInConfigMaps,
  checkProbesAndResources,
  checkSelectorsReachPods,
  checkServicePorts,
  envOf,
  find,
  podSources,
  selects,
} from "./chart-rules.js";
import { chartDir, createHelm, ensureHelm, type Helm, type KubeObject, repoRoot } from "./render-chart.js";
import { validateObject } from "./validate-object.js";

const MONITORING_API = ["--api-versions", "monitoring.coreos.com/v1"];

/** The render matrix: values file → extra helm arguments and Secrets the user provides. */
const matrix: { file: string; args?: string[]; external?: string[] }[] = [
  { file: "defaults.yaml" },
  { file: "external-redis.yaml" },
  { file: "redis-cluster.yaml" },
  { file: "embedded-redis.yaml" },
  { file: "ingress-tls.yaml" },
  { file: "existing-secret.yaml", external: ["team-relay-credentials", "team-redis"] },
  { file: "hpa-off.yaml" },
  { file: "lease-streams.yaml" },
  { file: "upstream-urls.yaml" },
  { file: "notifications.yaml" },
  { file: "queue.yaml" },
  { file: "network-policy.yaml" },
  { file: "monitoring.yaml", args: MONITORING_API },
];

let helm: Helm;
const rendered = new Map<string, KubeObject[]>();

function render(file: string): KubeObject[] {
  const objects = rendered.get(file);
  if (!objects) throw new Error(`${file} was not rendered`);
  return objects;
}

function deployment(objects: KubeObject[], name: string): KubeObject {
  const d = find(objects, "Deployment", name);
  if (!d) throw new Error(`Deployment/${name} not rendered`);
  return d;
}

function container(objects: KubeObject[], deploymentName: string): KubeObject["spec"] {
  return deployment(objects, deploymentName).spec.template.spec.containers[0];
}

beforeAll(() => {
  helm = createHelm(ensureHelm());
  for (const { file, args } of matrix) rendered.set(file, helm.template([file], args));
});

describe("helm lint", () => {
  it("passes --strict with the defaults plus a Redis URL", () => {
    const result = helm.run(["lint", "--strict", chartDir, "--values", join(repoRoot, "helm/tests/values/defaults.yaml")]);
    expect(result.ok ? "" : result.output).toBe("");
  });

  it("passes --strict with the embedded Redis, network policies, ingresses and monitoring", () => {
    const files = ["network-policy.yaml", "ingress-tls.yaml", "monitoring.yaml"];
    const values = files.flatMap((f) => ["--values", join(repoRoot, "helm/tests/values", f)]);
    const result = helm.run(["lint", "--strict", chartDir, ...values]);
    expect(result.ok ? "" : result.output).toBe("");
  });
});

describe.each(matrix)("helm template with $file", ({ file, external }) => {
  it("renders only objects that match the Kubernetes schemas", async () => {
    const objects = render(file);
    expect(objects.length).toBeGreaterThan(5);
    for (const o of objects) await validateObject(o);
  });

  it("gives every long-running container probes and every container resource requests", () => {
    expect(checkProbesAndResources(render(file))).toEqual([]);
  });

  it("hardens every pod and container", () => {
    expect(checkHardening(render(file))).toEqual([]);
  });

  it("keeps Deployment selectors on their own pods", () => {
    expect(checkDeploymentSelectors(render(file))).toEqual([]);
  });

  it("points every Service, PodDisruptionBudget and NetworkPolicy at pods that exist, on declared ports", () => {
    expect(checkSelectorsReachPods(render(file))).toEqual([]);
    expect(checkServicePorts(render(file))).toEqual([]);
  });

  it("keeps every secret out of ConfigMaps", () => {
    expect(checkNoSecretsInConfigMaps(render(file))).toEqual([]);
  });

  it("references only ConfigMaps and Secret keys that exist", () => {
    expect(checkEnvReferences(render(file), external)).toEqual([]);
  });

  it("points the relay at the control plane's headless Service", () => {
    const objects = render(file);
    const target = envOf(objects, container(objects, "rel-claude-relay-relay"), "RELAY_CONTROL_PLANE_URL");
    expect(target).toBe("dns:///rel-claude-relay-control-plane-headless.ai.svc.cluster.local:50051");
    const headless = find(objects, "Service", "rel-claude-relay-control-plane-headless");
    expect(headless?.spec.clusterIP).toBe("None");
    expect(headless?.spec.ports.map((p: { port: number }) => p.port)).toEqual([50051]);
    const cpLabels = deployment(objects, "rel-claude-relay-control-plane").spec.template.metadata.labels;
    expect(selects(headless?.spec.selector, cpLabels)).toBe(true);
  });

  it("gives relays a grace period longer than the preStop sleep plus the drain", () => {
    const objects = render(file);
    const relay = deployment(objects, "rel-claude-relay-relay").spec.template.spec;
    const drainMs = Number(envOf(objects, relay.containers[0], "RELAY_DRAIN_MS"));
    const preStop = relay.containers[0].lifecycle.preStop.exec.command;
    expect(preStop[0]).toBe("sleep");
    expect(relay.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainMs + Number(preStop[1]) * 1000);
  });

  it("keeps the control plane's connection-age grace longer than the relay's lease-stream age", () => {
    const objects = render(file);
    const relay = container(objects, "rel-claude-relay-relay");
    const cp = container(objects, "rel-claude-relay-control-plane");
    const streamMaxAgeMs = Number(envOf(objects, relay, "RELAY_CONTROL_PLANE_STREAM_MAX_AGE_MS"));
    expect(streamMaxAgeMs).toBeGreaterThan(0);
    expect(Number(envOf(objects, cp, "CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_GRACE_MS"))).toBeGreaterThan(streamMaxAgeMs);
  });
});

describe("lease streams and connection ages", () => {
  /** The five settings as the two containers see them. */
  function leaseSettings(file: string) {
    const objects = render(file);
    const relay = container(objects, "rel-claude-relay-relay");
    const cp = container(objects, "rel-claude-relay-control-plane");
    return {
      RELAY_CONTROL_PLANE_STREAMS: envOf(objects, relay, "RELAY_CONTROL_PLANE_STREAMS"),
      RELAY_CONTROL_PLANE_STREAM_MAX_AGE_MS: envOf(objects, relay, "RELAY_CONTROL_PLANE_STREAM_MAX_AGE_MS"),
      CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_MS: envOf(objects, cp, "CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_MS"),
      CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_GRACE_MS: envOf(objects, cp, "CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_GRACE_MS"),
      CONTROL_PLANE_USAGE_FLUSH_MS: envOf(objects, cp, "CONTROL_PLANE_USAGE_FLUSH_MS"),
    };
  }

  it("hands the services their own defaults", () => {
    expect(leaseSettings("defaults.yaml")).toEqual({
      RELAY_CONTROL_PLANE_STREAMS: "4",
      RELAY_CONTROL_PLANE_STREAM_MAX_AGE_MS: "300000",
      CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_MS: "1800000",
      CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_GRACE_MS: "600000",
      CONTROL_PLANE_USAGE_FLUSH_MS: "0",
    });
  });

  it("hands the services the values given", () => {
    expect(leaseSettings("lease-streams.yaml")).toEqual({
      RELAY_CONTROL_PLANE_STREAMS: "8",
      RELAY_CONTROL_PLANE_STREAM_MAX_AGE_MS: "120000",
      CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_MS: "900000",
      CONTROL_PLANE_GRPC_MAX_CONNECTION_AGE_GRACE_MS: "180000",
      CONTROL_PLANE_USAGE_FLUSH_MS: "5",
    });
  });
});

describe("providers' endpoints", () => {
  const names = [
    "CONTROL_PLANE_OAUTH_TOKEN_URL",
    "CONTROL_PLANE_GEMINI_API_URL",
    "CONTROL_PLANE_GEMINI_CODE_ASSIST_URL",
    "CONTROL_PLANE_GEMINI_OAUTH_AUTHORIZE_URL",
    "CONTROL_PLANE_GEMINI_OAUTH_TOKEN_URL",
    "CONTROL_PLANE_OPENAI_API_URL",
    "CONTROL_PLANE_OPENAI_CODEX_URL",
    "CONTROL_PLANE_OPENAI_OAUTH_AUTHORIZE_URL",
    "CONTROL_PLANE_OPENAI_OAUTH_TOKEN_URL",
  ];
  const settings = (file: string) => {
    const objects = render(file);
    const cp = container(objects, "rel-claude-relay-control-plane");
    return Object.fromEntries(names.map((name) => [name, envOf(objects, cp, name)]));
  };

  it("leaves the services their public defaults unless told", () => {
    expect(Object.values(settings("defaults.yaml")).every((value) => value === undefined)).toBe(true);
  });

  it("points the control plane at the endpoints given", () => {
    expect(settings("upstream-urls.yaml")).toEqual({
      CONTROL_PLANE_OAUTH_TOKEN_URL: "https://gateway.internal/claude/oauth/token",
      CONTROL_PLANE_GEMINI_API_URL: "https://gateway.internal/gemini",
      CONTROL_PLANE_GEMINI_CODE_ASSIST_URL: "https://gateway.internal/code-assist",
      CONTROL_PLANE_GEMINI_OAUTH_AUTHORIZE_URL: "https://gateway.internal/google/auth",
      CONTROL_PLANE_GEMINI_OAUTH_TOKEN_URL: "https://gateway.internal/google/token",
      CONTROL_PLANE_OPENAI_API_URL: "https://gateway.internal/openai/v1",
      CONTROL_PLANE_OPENAI_CODEX_URL: "https://gateway.internal/chatgpt/backend-api/codex",
      CONTROL_PLANE_OPENAI_OAUTH_AUTHORIZE_URL: "https://gateway.internal/openai-auth/oauth/authorize",
      CONTROL_PLANE_OPENAI_OAUTH_TOKEN_URL: "https://gateway.internal/openai-auth/oauth/token",
    });
  });
});

describe("webhook notifications", () => {
  const names = [
    "CONTROL_PLANE_NOTIFY_QUIET_MS",
    "CONTROL_PLANE_NOTIFY_FOLD_WINDOW_MS",
    "CONTROL_PLANE_NOTIFY_MAX_ATTEMPTS",
    "CONTROL_PLANE_NOTIFY_RETRY_BASE_MS",
    "CONTROL_PLANE_NOTIFY_TIMEOUT_MS",
    "CONTROL_PLANE_NOTIFY_REDIS_GRACE_MS",
  ];
  const settings = (file: string) => {
    const objects = render(file);
    const cp = container(objects, "rel-claude-relay-control-plane");
    return names.map((name) => envOf(objects, cp, name));
  };

  it("hands the control plane its own defaults", () => {
    expect(settings("defaults.yaml")).toEqual(["2000", "30000", "5", "1000", "5000", "10000"]);
  });

  it("hands the control plane the values given", () => {
    expect(settings("notifications.yaml")).toEqual(["500", "10000", "8", "250", "3000", "5000"]);
  });
});

describe("waiting for a free slot", () => {
  const settings = (file: string) => {
    const objects = render(file);
    const cp = container(objects, "rel-claude-relay-control-plane");
    const relay = container(objects, "rel-claude-relay-relay");
    return [
      ...["CONTROL_PLANE_QUEUE_WAIT_MS", "CONTROL_PLANE_QUEUE_MAX_WAITERS", "CONTROL_PLANE_QUEUE_POLL_MS", "CONTROL_PLANE_QUEUE_ALIVE_MS"].map((name) => envOf(objects, cp, name)),
      envOf(objects, relay, "RELAY_QUEUE_MAX_WAIT_MS"),
    ];
  };

  it("hands both services their own defaults", () => {
    expect(settings("defaults.yaml")).toEqual(["0", "200", "50", "3000", "600000"]);
  });

  it("hands both services the values given", () => {
    expect(settings("queue.yaml")).toEqual(["30000", "1000", "25", "5000", "45000"]);
  });
});

describe("probes", () => {
  it("checks the relay over HTTP /livez and /readyz", () => {
    const relay = container(render("defaults.yaml"), "rel-claude-relay-relay");
    expect(relay.livenessProbe.httpGet).toMatchObject({ path: "/livez", port: "http" });
    expect(relay.readinessProbe.httpGet).toMatchObject({ path: "/readyz", port: "http" });
  });

  it("checks control-plane liveness with a native gRPC probe and readiness over HTTP /readyz", () => {
    const cp = container(render("defaults.yaml"), "rel-claude-relay-control-plane");
    expect(cp.livenessProbe.grpc).toEqual({ port: 50051, service: "liveness" });
    expect(cp.readinessProbe.httpGet).toMatchObject({ path: "/readyz", port: "http" });
  });
});

describe("secrets", () => {
  function secretData(objects: KubeObject[], name: string): Record<string, string> {
    const secret = find(objects, "Secret", name);
    if (!secret) throw new Error(`Secret/${name} not rendered`);
    return Object.fromEntries(Object.entries<string>(secret.data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
  }

  it("generates a 64-hex encryption key, a long internal token and an admin password on install", () => {
    const data = secretData(render("defaults.yaml"), "rel-claude-relay");
    expect(data["encryption-key"]).toMatch(/^[0-9a-f]{64}$/);
    expect(data["internal-token"]?.length).toBeGreaterThanOrEqual(32);
    expect(data["admin-password"]?.length).toBeGreaterThanOrEqual(16);
    const again = secretData(helm.template(["defaults.yaml"]), "rel-claude-relay");
    expect(again["encryption-key"]).not.toBe(data["encryption-key"]);
  });

  it("uses credentials given as values verbatim and keeps them out of ConfigMaps", () => {
    const objects = render("external-redis.yaml");
    const values = parse(readFileSync(join(repoRoot, "helm/tests/values/external-redis.yaml"), "utf8"));
    expect(secretData(objects, "rel-claude-relay")).toEqual({
      "internal-token": values.secrets.internalToken,
      "encryption-key": values.secrets.encryptionKey,
      "admin-password": values.secrets.adminPassword,
    });
    expect(secretData(objects, "rel-claude-relay-redis-url")).toEqual({ "redis-url": values.redis.url });
    const known = [values.secrets.internalToken, values.secrets.encryptionKey, values.secrets.adminPassword, values.redis.url, "redis-password-7Kq2"];
    expect(checkNoSecretsInConfigMaps(objects, known)).toEqual([]);
  });

  it("keeps the generated Secret across uninstall", () => {
    const secret = find(render("defaults.yaml"), "Secret", "rel-claude-relay");
    expect(secret?.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
  });

  it("drops the generated Secrets and wires every credential to existingSecret instead", () => {
    const objects = render("existing-secret.yaml");
    expect(objects.filter((o) => o.kind === "Secret")).toEqual([]);
    const cp = container(objects, "rel-claude-relay-control-plane");
    expect(envOf(objects, cp, "CONTROL_PLANE_INTERNAL_TOKEN")).toEqual({ secret: "team-relay-credentials", key: "token" });
    expect(envOf(objects, cp, "CONTROL_PLANE_ENCRYPTION_KEY")).toEqual({ secret: "team-relay-credentials", key: "aes-key" });
    expect(envOf(objects, cp, "ADMIN_PASSWORD")).toEqual({ secret: "team-relay-credentials", key: "admin" });
    expect(envOf(objects, cp, "REDIS_URL")).toEqual({ secret: "team-redis", key: "url" });
    const relay = container(objects, "rel-claude-relay-relay");
    expect(envOf(objects, relay, "RELAY_INTERNAL_TOKEN")).toEqual({ secret: "team-relay-credentials", key: "token" });
  });
});

describe("redis", () => {
  it("runs an in-memory single Redis pod for the embedded mode and points the control plane at it", () => {
    const objects = render("embedded-redis.yaml");
    const redis = container(objects, "rel-claude-relay-redis");
    expect(redis.image).toMatch(/^redis:7/);
    expect(redis.args.join(" ")).toContain("--save  --appendonly no");
    expect(find(objects, "Service", "rel-claude-relay-redis")).toBeDefined();
    const url = find(objects, "Secret", "rel-claude-relay-redis-url")?.data["redis-url"];
    expect(Buffer.from(url, "base64").toString()).toBe("redis://rel-claude-relay-redis.ai.svc.cluster.local:6379");
  });

  it("runs no Redis of its own with an external URL", () => {
    expect(podSources(render("defaults.yaml")).map((p) => p.owner)).not.toContain("Deployment/rel-claude-relay-redis");
  });

  it("hands a Redis Cluster to the control plane as a redis+cluster:// URL with its extra seed nodes", () => {
    const redisUrl = (objects: KubeObject[]) => Buffer.from(find(objects, "Secret", "rel-claude-relay-redis-url")?.data["redis-url"], "base64").toString();
    const objects = render("redis-cluster.yaml");
    const cp = container(objects, "rel-claude-relay-control-plane");
    expect(redisUrl(objects)).toBe("redis+cluster://redis-cluster.data.svc.cluster.local:6379");
    expect(envOf(objects, cp, "REDIS_CLUSTER_NODES")).toBe("redis-cluster-1.data.svc.cluster.local:6379,redis-cluster-2.data.svc.cluster.local:6379");
    expect(envOf(objects, cp, "REDIS_CLUSTER")).toBeUndefined();
    const defaults = render("defaults.yaml");
    expect(redisUrl(defaults)).toBe("redis://redis.data.svc.cluster.local:6379");
    expect(envOf(defaults, container(defaults, "rel-claude-relay-control-plane"), "REDIS_CLUSTER_NODES")).toBeUndefined();
  });
});

describe("scaling", () => {
  it("autoscales the relay by default and leaves its replica count to the HPA", () => {
    const objects = render("defaults.yaml");
    const hpa = find(objects, "HorizontalPodAutoscaler", "rel-claude-relay-relay");
    expect(hpa?.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "rel-claude-relay-relay" });
    expect(deployment(objects, "rel-claude-relay-relay").spec.replicas).toBeUndefined();
    expect(find(objects, "PodDisruptionBudget", "rel-claude-relay-relay")).toBeDefined();
  });

  it("uses a fixed replica count without the HPA", () => {
    const objects = render("hpa-off.yaml");
    expect(objects.some((o) => o.kind === "HorizontalPodAutoscaler")).toBe(false);
    expect(deployment(objects, "rel-claude-relay-relay").spec.replicas).toBe(3);
  });

  it("spreads relay and control-plane pods over nodes and zones", () => {
    const objects = render("defaults.yaml");
    for (const name of ["rel-claude-relay-relay", "rel-claude-relay-control-plane"]) {
      const keys = deployment(objects, name).spec.template.spec.topologySpreadConstraints.map((t: { topologyKey: string }) => t.topologyKey);
      expect(keys).toEqual(["kubernetes.io/hostname", "topology.kubernetes.io/zone"]);
    }
  });
});

describe("ingress", () => {
  it("routes the relay and the admin hosts over TLS to existing Services", () => {
    const objects = render("ingress-tls.yaml");
    const ingresses = objects.filter((o) => o.kind === "Ingress");
    expect(ingresses.map((i) => i.spec.tls[0].hosts[0]).sort()).toEqual(["admin.example.com", "relay.example.com"]);
    for (const ing of ingresses) {
      const backend = ing.spec.rules[0].http.paths[0].backend.service;
      const svc = find(objects, "Service", backend.name);
      expect(svc?.spec.ports.map((p: { port: number }) => p.port)).toContain(backend.port.number);
    }
  });

  it("renders no Ingress by default", () => {
    expect(render("defaults.yaml").some((o) => o.kind === "Ingress")).toBe(false);
  });
});

describe("network policies", () => {
  it("lets only relay pods reach the control plane's gRPC port", () => {
    const objects = render("network-policy.yaml");
    const policy = find(objects, "NetworkPolicy", "rel-claude-relay-control-plane");
    const grpcRule = policy?.spec.ingress.find((r: { ports: { port: string }[] }) => r.ports.some((p) => p.port === "grpc"));
    expect(grpcRule.from).toHaveLength(1);
    const relayLabels = deployment(objects, "rel-claude-relay-relay").spec.template.metadata.labels;
    const cpLabels = deployment(objects, "rel-claude-relay-control-plane").spec.template.metadata.labels;
    expect(selects(grpcRule.from[0].podSelector.matchLabels, relayLabels)).toBe(true);
    expect(selects(grpcRule.from[0].podSelector.matchLabels, cpLabels)).toBe(false);
  });

  it("limits the relay to the peers given, plus the chart's own test pod", () => {
    const objects = render("network-policy.yaml");
    const from = find(objects, "NetworkPolicy", "rel-claude-relay-relay")?.spec.ingress[0].from;
    expect(from[0]).toEqual({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } });
    const testPod = find(objects, "Pod", "rel-claude-relay-test-readyz");
    expect(selects(from[1].podSelector.matchLabels, testPod?.metadata.labels ?? {})).toBe(true);
  });

  it("lets only control-plane pods reach Redis", () => {
    const objects = render("network-policy.yaml");
    const policy = find(objects, "NetworkPolicy", "rel-claude-relay-redis");
    expect(policy?.spec.ingress).toHaveLength(1);
    const from = policy?.spec.ingress[0].from;
    const cpLabels = deployment(objects, "rel-claude-relay-control-plane").spec.template.metadata.labels;
    const relayLabels = deployment(objects, "rel-claude-relay-relay").spec.template.metadata.labels;
    expect(from).toHaveLength(1);
    expect(selects(from[0].podSelector.matchLabels, cpLabels)).toBe(true);
    expect(selects(from[0].podSelector.matchLabels, relayLabels)).toBe(false);
  });

  it("opens each operator port to the metricsFrom peers only, and the client and admin rules never to it", () => {
    const objects = render("network-policy.yaml");
    const monitoring = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } };
    for (const name of ["rel-claude-relay-relay", "rel-claude-relay-control-plane"]) {
      const rules: { ports: { port: string }[]; from?: unknown[] }[] = find(objects, "NetworkPolicy", name)?.spec.ingress ?? [];
      const opening = rules.filter((r) => r.ports.some((p) => p.port === "metrics"));
      expect(opening, name).toEqual([{ ports: [{ port: "metrics", protocol: "TCP" }], from: [monitoring] }]);
    }
    // Without peers the rule stays, open as the other rules are without theirs.
    const open = helm.template(["defaults.yaml"], ["--set", "networkPolicy.enabled=true"]);
    const relayRules = find(open, "NetworkPolicy", "rel-claude-relay-relay")?.spec.ingress;
    expect(relayRules.find((r: { ports: { port: string }[] }) => r.ports[0]?.port === "metrics")?.from).toBeUndefined();
  });

  it("renders no NetworkPolicy unless enabled", () => {
    expect(render("embedded-redis.yaml").some((o) => o.kind === "NetworkPolicy")).toBe(false);
  });
});

describe("monitoring", () => {
  it("renders a ServiceMonitor over the operator ports' Services only, never a client, admin or gRPC one", () => {
    const objects = render("monitoring.yaml");
    const monitor = find(objects, "ServiceMonitor", "rel-claude-relay");
    expect(monitor?.metadata.labels?.release).toBe("kube-prometheus-stack");
    expect(monitor?.spec.endpoints).toHaveLength(1);
    expect(monitor?.spec.endpoints[0]).toMatchObject({ port: "metrics", path: "/metrics" });
    const scraped = objects.filter((o) => o.kind === "Service" && selects(monitor?.spec.selector.matchLabels, o.metadata.labels ?? {}));
    expect(scraped.map((s) => s.metadata.name).sort()).toEqual(["rel-claude-relay-control-plane-metrics", "rel-claude-relay-relay-metrics"]);
    const portOf = { "rel-claude-relay-relay-metrics": 9464, "rel-claude-relay-control-plane-metrics": 9465 } as Record<string, number>;
    for (const svc of scraped) {
      expect(svc.spec.ports, svc.metadata.name).toEqual([{ name: "metrics", port: portOf[svc.metadata.name], targetPort: "metrics", protocol: "TCP", appProtocol: "http" }]);
      expect(svc.spec.clusterIP).toBe("None");
    }
    for (const [deploymentName, service] of [["rel-claude-relay-relay", "rel-claude-relay-relay-metrics"], ["rel-claude-relay-control-plane", "rel-claude-relay-control-plane-metrics"]] as const) {
      const pod = deployment(objects, deploymentName).spec.template;
      expect(selects(find(objects, "Service", service)?.spec.selector, pod.metadata.labels)).toBe(true);
      const port = pod.spec.containers[0].ports.find((p: { name: string }) => p.name === "metrics");
      expect(port?.containerPort).toBe(portOf[service]);
    }
    // The Services clients and admins reach carry no operator port.
    for (const name of ["rel-claude-relay-relay", "rel-claude-relay-control-plane", "rel-claude-relay-control-plane-headless"]) {
      expect(find(objects, "Service", name)?.spec.ports.map((p: { name: string }) => p.name), name).not.toContain("metrics");
    }
  });

  it("sets the operator ports in the services' environment", () => {
    const objects = render("defaults.yaml");
    expect(envOf(objects, container(objects, "rel-claude-relay-relay"), "RELAY_METRICS_PORT")).toBe("9464");
    expect(envOf(objects, container(objects, "rel-claude-relay-control-plane"), "CONTROL_PLANE_METRICS_PORT")).toBe("9465");
  });

  it("renders the same rule groups as deploy/prometheus/alerts.yml", () => {
    const rule = find(render("monitoring.yaml"), "PrometheusRule", "rel-claude-relay");
    const plain = parse(readFileSync(join(repoRoot, "deploy/prometheus/alerts.yml"), "utf8"));
    expect(rule?.spec.groups).toEqual(plain.groups);
  });

  it("renders no Prometheus Operator objects when the cluster does not serve their API", () => {
    const objects = helm.template(["monitoring.yaml"]);
    expect(objects.filter((o) => o.apiVersion.startsWith("monitoring.coreos.com/"))).toEqual([]);
  });
});

describe("helm test and NOTES", () => {
  it("ships a test pod that curls the relay's /readyz", () => {
    const pod = find(render("defaults.yaml"), "Pod", "rel-claude-relay-test-readyz");
    expect(pod?.metadata.annotations?.["helm.sh/hook"]).toBe("test");
    expect(pod?.spec.containers[0].args.at(-1)).toBe("http://rel-claude-relay-relay.ai.svc.cluster.local:8080/readyz");
  });

  it("tells how to read the admin password and point Claude Code at the relay", () => {
    const result = helm.run(["install", "rel", chartDir, "--dry-run=client", "--namespace", "ai", "--values", join(repoRoot, "helm/tests/values/ingress-tls.yaml")]);
    if (!result.ok) throw new Error(result.output);
    const notes = result.stdout.slice(result.stdout.indexOf("NOTES:"));
    expect(notes).toContain("kubectl get secret --namespace ai rel-claude-relay");
    expect(notes).toContain("{.data.admin-password}");
    expect(notes).toContain("export ANTHROPIC_BASE_URL=https://relay.example.com");
    expect(notes).toContain("export ANTHROPIC_API_KEY=");
    expect(notes).toContain("https://admin.example.com/admin/");
  });
});

import { describe, expect, it } from "vitest";
import {
  checkDeploymentSelectors,
  checkEnvReferences,
  checkHardening,
  checkNoSecretsInConfigMaps,
  checkProbesAndResources,
  checkSelectorsReachPods,
  checkServicePorts,
  envOf,
} from "./chart-rules.js";
import type { KubeObject } from "./render-chart.js";
import { validateObject } from "./validate-object.js";

const labels = { "app.kubernetes.io/name": "x", "app.kubernetes.io/component": "relay" };

function goodContainer(): KubeObject["spec"] {
  return {
    name: "relay",
    image: "relay:1",
    ports: [{ name: "http", containerPort: 8080 }],
    envFrom: [{ configMapRef: { name: "cfg" } }],
    env: [{ name: "RELAY_INTERNAL_TOKEN", valueFrom: { secretKeyRef: { name: "creds", key: "token" } } }],
    livenessProbe: { httpGet: { path: "/livez", port: "http" } },
    readinessProbe: { httpGet: { path: "/readyz", port: "http" } },
    resources: { requests: { cpu: "100m", memory: "64Mi" } },
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
  };
}

function manifests(mutate: (objects: KubeObject[]) => void = () => {}): KubeObject[] {
  const objects: KubeObject[] = [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "relay" },
      spec: {
        selector: { matchLabels: { ...labels } },
        template: {
          metadata: { labels: { ...labels, extra: "y" } },
          spec: {
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            containers: [goodContainer()],
            volumes: [{ name: "tmp", emptyDir: {} }],
          },
        },
      },
    },
    { apiVersion: "v1", kind: "Service", metadata: { name: "relay" }, spec: { selector: { ...labels }, ports: [{ name: "http", port: 80, targetPort: "http" }] } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg" }, data: { RELAY_PORT: "8080", RELAY_DRAIN_MS: "30000" } },
    { apiVersion: "v1", kind: "Secret", metadata: { name: "creds" }, data: { token: Buffer.from("a-very-secret-token").toString("base64") } },
  ];
  mutate(objects);
  return objects;
}

const relayContainer = (objects: KubeObject[]) => objects[0]?.spec.template.spec.containers[0];

describe("chart rules", () => {
  it("find nothing wrong in well-formed manifests", () => {
    const objects = manifests();
    for (const check of [checkProbesAndResources, checkHardening, checkDeploymentSelectors, checkSelectorsReachPods, checkServicePorts, checkNoSecretsInConfigMaps, checkEnvReferences]) {
      expect(check(objects)).toEqual([]);
    }
  });

  it("report a container without a readiness probe or memory request", () => {
    const objects = manifests((o) => {
      delete relayContainer(o).readinessProbe;
      delete relayContainer(o).resources.requests.memory;
    });
    expect(checkProbesAndResources(objects)).toEqual([
      "Deployment/relay container relay has no readinessProbe",
      "Deployment/relay container relay lacks cpu/memory requests",
    ]);
  });

  it("report a writable root filesystem and kept capabilities", () => {
    const objects = manifests((o) => {
      relayContainer(o).securityContext = { allowPrivilegeEscalation: false };
    });
    expect(checkHardening(objects)).toEqual([
      "Deployment/relay container relay: readOnlyRootFilesystem is not true",
      "Deployment/relay container relay: capabilities are not all dropped",
    ]);
  });

  it("report a selector that misses its own pods and a Service that selects nothing", () => {
    const objects = manifests((o) => {
      o[0]!.spec.selector.matchLabels["app.kubernetes.io/component"] = "other";
      o[1]!.spec.selector = { "app.kubernetes.io/component": "ghost" };
    });
    expect(checkDeploymentSelectors(objects)).toEqual(["Deployment/relay: selector does not match its pod labels"]);
    expect(checkSelectorsReachPods(objects)).toEqual(["Service/relay selects no pod"]);
  });

  it("report a Service targeting a port no container declares", () => {
    const objects = manifests((o) => {
      o[1]!.spec.ports[0].targetPort = "grpc";
    });
    expect(checkServicePorts(objects)).toEqual(["Service/relay port http targets an undeclared port grpc"]);
  });

  it("report a secret value or secret-looking key in a ConfigMap, and a literal secret env", () => {
    const objects = manifests((o) => {
      o[2]!.data.NOTE = "token is a-very-secret-token";
      o[2]!.data.ADMIN_PASSWORD = "x";
      relayContainer(o).env.push({ name: "CONTROL_PLANE_ENCRYPTION_KEY", value: "abc" });
    });
    expect(checkNoSecretsInConfigMaps(objects)).toEqual([
      "ConfigMap/cfg key NOTE holds a secret value",
      "ConfigMap/cfg has a secret-looking key ADMIN_PASSWORD",
      "Deployment/relay env CONTROL_PLANE_ENCRYPTION_KEY is a literal value",
    ]);
  });

  it("report references to a missing ConfigMap or Secret key, unless the Secret is external", () => {
    const objects = manifests((o) => {
      relayContainer(o).envFrom[0].configMapRef.name = "missing";
      relayContainer(o).env[0].valueFrom.secretKeyRef.key = "nope";
    });
    expect(checkEnvReferences(objects)).toEqual([
      "Deployment/relay envFrom names a missing ConfigMap missing",
      "Deployment/relay env RELAY_INTERNAL_TOKEN: Secret creds has no key nope",
    ]);
    expect(checkEnvReferences(manifests((o) => o.splice(3, 1)), ["creds"])).toEqual([]);
  });

  it("resolve env values through envFrom ConfigMaps and Secret references", () => {
    const objects = manifests();
    expect(envOf(objects, relayContainer(objects), "RELAY_DRAIN_MS")).toBe("30000");
    expect(envOf(objects, relayContainer(objects), "RELAY_INTERNAL_TOKEN")).toEqual({ secret: "creds", key: "token" });
    expect(envOf(objects, relayContainer(objects), "MISSING")).toBeUndefined();
  });
});

describe("validateObject", () => {
  it("accepts a valid Deployment", async () => {
    await expect(validateObject(manifests()[0]!)).resolves.toBeUndefined();
  });

  it("rejects a Deployment whose container port is not an integer", async () => {
    const objects = manifests((o) => {
      relayContainer(o).ports[0].containerPort = "8080";
    });
    await expect(validateObject(objects[0]!)).rejects.toThrow(/Deployment\/relay is invalid: .*containerPort must be integer/);
  });

  it("rejects a kind it has no schema for", async () => {
    await expect(validateObject({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } })).rejects.toThrow(/no schema for example.com\/v1 Widget/);
  });
});

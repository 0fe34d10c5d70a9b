/**
 * The deploy artifacts against the services' real configuration: every variable the Helm chart,
 * the compose file and the images set for a service is one that service's `config.ts` reads
 * (a misspelt or retired name would be ignored silently), and every value the chart or compose
 * gives parses.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "@claude-relay/config";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { controlPlaneConfigSchema } from "../../services/control-plane/src/config.js";
import { relayConfigSchema } from "../../services/relay/src/config.js";
import { createHelm, ensureHelm, type KubeObject, repoRoot } from "../../helm/tests/render-chart.js";
import { interpolate, parseEnvFile } from "./compose-env.js";
import { declaredNames, parseDockerfile, stageChain } from "./dockerfile.js";

/** Names of our services' variables (prefixes and shared names, STYLE.md §4); others (NODE_ENV, npm's) are not theirs. */
const SERVICE_VARIABLE = /^(RELAY_|CONTROL_PLANE_|REDIS_|ADMIN_)|^LOG_LEVEL$/;

const services = {
  "control-plane": { schema: controlPlaneConfigSchema, names: new Set(Object.keys(controlPlaneConfigSchema.shape)) },
  relay: { schema: relayConfigSchema, names: new Set(Object.keys(relayConfigSchema.shape)) },
} as const;
type ServiceName = keyof typeof services;

/** Names in `env` the service does not read. */
function unknownNames(service: ServiceName, env: Record<string, unknown>): string[] {
  return Object.keys(env).filter((name) => SERVICE_VARIABLE.test(name) && !services[service].names.has(name));
}

/** A container's environment as the pod sees it: ConfigMaps through envFrom, then env (Secrets as placeholders). */
function podEnv(objects: KubeObject[], container: KubeObject["spec"]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === from.configMapRef?.name);
    Object.assign(env, cm?.data ?? {});
  }
  for (const e of container.env ?? []) env[e.name] = e.value ?? `secret:${e.valueFrom?.secretKeyRef?.key}`;
  return env;
}

/** Plausible values for the variables that come from Secrets, so the rest can be parsed. */
const SECRET_VALUES: Record<string, string> = {
  REDIS_URL: "redis://redis:6379",
  CONTROL_PLANE_INTERNAL_TOKEN: "t".repeat(32),
  RELAY_INTERNAL_TOKEN: "t".repeat(32),
  CONTROL_PLANE_ENCRYPTION_KEY: "e".repeat(64),
  ADMIN_PASSWORD: "a-strong-password",
};

function withSecrets(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value.startsWith("secret:") ? (SECRET_VALUES[name] ?? value) : value]));
}

const valuesFiles = ["defaults.yaml", "external-redis.yaml", "redis-cluster.yaml", "embedded-redis.yaml", "hpa-off.yaml", "upstream-urls.yaml", "notifications.yaml"];
const rendered = new Map<string, KubeObject[]>();

beforeAll(() => {
  const helm = createHelm(ensureHelm());
  for (const file of valuesFiles) rendered.set(file, helm.template([file]));
});

describe("the Helm chart's environment", () => {
  it.each(valuesFiles)("sets only variables the services read, with values they accept (%s)", (file) => {
    const objects = rendered.get(file) ?? [];
    const checked: string[] = [];
    for (const service of ["control-plane", "relay"] as const) {
      const deployment = objects.find((o) => o.kind === "Deployment" && o.metadata.name === `rel-claude-relay-${service}`);
      const container = deployment?.spec.template.spec.containers[0];
      expect(container, service).toBeDefined();
      const env = podEnv(objects, container);
      expect(unknownNames(service, env), service).toEqual([]);
      expect(() => loadConfig(services[service].schema, withSecrets(env)), service).not.toThrow();
      checked.push(service);
    }
    expect(checked).toEqual(["control-plane", "relay"]);
  });

  it("gives the control plane a Redis Cluster in a form its config reads", () => {
    const objects = rendered.get("redis-cluster.yaml") ?? [];
    const url = Buffer.from(objects.find((o) => o.kind === "Secret" && o.metadata.name === "rel-claude-relay-redis-url")?.data["redis-url"], "base64").toString();
    const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "rel-claude-relay-control-plane");
    const config = loadConfig(controlPlaneConfigSchema, { ...SECRET_VALUES, ...cm?.data, REDIS_URL: url });
    expect(config.REDIS_URL).toMatch(/^redis\+cluster:\/\//);
    expect(config.REDIS_CLUSTER_NODES.split(",")).toHaveLength(2);
  });
});

describe("the compose file's and the images' environment", () => {
  const compose = parse(interpolate(readFileSync(join(repoRoot, "deploy/docker-compose.yml"), "utf8"), parseEnvFile(readFileSync(join(repoRoot, "deploy/.env.example"), "utf8"))), {
    merge: true,
  }) as { services: Record<string, { build?: { target: string }; environment?: Record<string, string> }> };
  const dockerfile = parseDockerfile(readFileSync(join(repoRoot, "deploy/Dockerfile"), "utf8"));

  it.each(["control-plane", "relay"] as const)("sets only variables the %s reads, with values it accepts", (service) => {
    const imageEnv: Record<string, string> = {};
    for (const stage of stageChain(dockerfile, service).reverse()) {
      for (const instruction of stage.instructions.filter((i) => i.keyword === "ENV")) {
        for (const name of declaredNames(instruction)) imageEnv[name] = instruction.args.match(new RegExp(`(?:^|\\s)${name}=(\\S+)`))?.[1] ?? "";
      }
    }
    expect(Object.keys(imageEnv).filter((name) => SERVICE_VARIABLE.test(name)).length).toBeGreaterThan(1);
    expect(unknownNames(service, imageEnv)).toEqual([]);
    const containers = Object.entries(compose.services).filter(([, s]) => s.build?.target === service);
    expect(containers.length).toBe(2);
    for (const [name, s] of containers) {
      // YAML reads 60000 as a number; compose passes every value as a string.
      const env = { ...imageEnv, ...Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)])) };
      expect(unknownNames(service, env), name).toEqual([]);
      // .env.example holds placeholders for the secrets; real ones of the right shape stand in.
      const secrets = Object.fromEntries(Object.entries(SECRET_VALUES).filter(([k]) => k in env));
      expect(() => loadConfig(services[service].schema, { ...env, ...secrets }), name).not.toThrow();
    }
  });
});

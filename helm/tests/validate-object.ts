/**
 * Schema-checks one rendered object offline against the Kubernetes OpenAPI schemas shipped in
 * kubernetes-models (and the Prometheus Operator CRDs in @kubernetes-models/prometheus-operator).
 */
import type { KubeObject } from "./render-chart.js";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

/** Throws with the object's kind/name and the schema error when `object` is not valid. */
export async function validateObject(object: KubeObject): Promise<void> {
  const Model = await loadModel(object.apiVersion, object.kind);
  try {
    new Model(object).validate();
  } catch (err) {
    throw new Error(`${object.kind}/${object.metadata.name} is invalid: ${(err as Error).message}`);
  }
}

async function loadModel(apiVersion: string, kind: string): Promise<ModelClass> {
  const specifier = apiVersion.startsWith("monitoring.coreos.com/")
    ? `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`
    : `kubernetes-models/${apiVersion}/${kind}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch {
    throw new Error(`no schema for ${apiVersion} ${kind} (${specifier})`);
  }
  const Model = mod[kind];
  if (typeof Model !== "function") throw new Error(`${specifier} does not export ${kind}`);
  return Model as ModelClass;
}

/**
 * Runs the real helm binary (v4, cached under .tools/helm by scripts/ensure-helm.sh) against the
 * chart, offline: lint, template and a client-side dry-run install. helm's own settings dirs
 * point at a scratch directory, so the user's repositories and plugins never play a part.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

/** Repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** The chart under test. */
export const chartDir = join(repoRoot, "helm/claude-relay");
/** Values files of the render matrix and of the schema rejections. */
export const valuesDir = join(repoRoot, "helm/tests/values");

/** A rendered Kubernetes object; only the fields the tests read are typed. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // Manifests are checked field by field in the tests.
  [field: string]: any;
}

/** The outcome of a helm command that may fail: its output either way. */
export type HelmResult = { ok: true; stdout: string } | { ok: false; output: string };

/** A helm runner bound to one binary and one scratch home. */
export interface Helm {
  /** Runs helm with these arguments; never throws for a non-zero exit. */
  run(args: readonly string[]): HelmResult;
  /** `helm template` of the chart with these values files; throws with helm's message on failure. */
  template(valuesFiles: readonly string[], extraArgs?: readonly string[]): KubeObject[];
}

/** Fetches (once) and returns the helm binary's path; fails with a hint when that is impossible. */
export function ensureHelm(): string {
  try {
    return execFileSync("bash", [join(repoRoot, "scripts/ensure-helm.sh")], { encoding: "utf8" }).trim();
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr ?? String(err);
    throw new Error(`helm is unavailable (bash scripts/ensure-helm.sh failed): ${detail.trim()}`);
  }
}

/** Creates a runner for the helm binary at `bin`. */
export function createHelm(bin: string): Helm {
  const home = mkdtempSync(join(tmpdir(), "claude-relay-helm-"));
  const env = {
    ...process.env,
    HELM_CACHE_HOME: join(home, "cache"),
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_DATA_HOME: join(home, "data"),
    // A dry-run install must not find a real cluster.
    KUBECONFIG: join(home, "no-kubeconfig"),
  };

  function run(args: readonly string[]): HelmResult {
    try {
      const stdout = execFileSync(bin, args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      return { ok: true, stdout };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? String(err)}` };
    }
  }

  function template(valuesFiles: readonly string[], extraArgs: readonly string[] = []): KubeObject[] {
    const args = ["template", "rel", chartDir, "--namespace", "ai"];
    for (const file of valuesFiles) args.push("--values", join(valuesDir, file));
    const result = run([...args, ...extraArgs]);
    if (!result.ok) throw new Error(`helm template failed:\n${result.output}`);
    return parseManifests(result.stdout);
  }

  return { run, template };
}

/** Parses a multi-document manifest stream, dropping empty documents. */
export function parseManifests(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML in rendered manifests: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as KubeObject | null;
    if (value !== null && value !== undefined) objects.push(value);
  }
  return objects;
}

import { Registry, collectDefaultMetrics } from "prom-client";

/** A fresh registry with the process metrics and a `service` label; one per app, never global. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export { createMetricsRegistry } from "./registry.js";
export { createMetricsHandler } from "./metrics-handler.js";
export { Counter, Gauge, Histogram } from "prom-client";
export type { Registry } from "prom-client";

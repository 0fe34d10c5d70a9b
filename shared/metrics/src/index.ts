export { createMetricsRegistry } from "./registry.js";
export { createMetricsHandler } from "./metrics-handler.js";
export { createMetricsServer } from "./metrics-server.js";
export { Counter, Gauge, Histogram } from "prom-client";
export type { MetricsServer, MetricsServerOptions } from "./metrics-server.js";
export type { Registry } from "prom-client";

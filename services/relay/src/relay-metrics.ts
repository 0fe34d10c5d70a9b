/**
 * The relay's Prometheus metrics, registered on the app's own registry. Label
 * sets are closed: routes come from the route table, statuses are HTTP codes,
 * reasons are RefusalReason names.
 */
import { Counter, Gauge, Histogram, type Registry } from "@claude-relay/metrics";

/** Route labels: one per entry of the route table, "not_found", and "client_error" for requests the parser refused. */
export type RouteLabel =
  | "messages"
  | "count_tokens"
  | "models"
  | "root"
  | "hello"
  | "livez"
  | "readyz"
  | "metrics"
  | "not_found"
  | "client_error";

/** The relay's metrics. */
export interface RelayMetrics {
  /** Counts one answered request, and observes its duration when given (label children cached). */
  countRequest(route: RouteLabel, status: number, seconds?: number): void;
  requests: Counter<"route" | "status">;
  requestDuration: Histogram<"route">;
  upstreamTtfb: Histogram;
  activeStreams: Gauge;
  leaseRefusals: Counter<"reason">;
  controlPlaneErrors: Counter;
  /** Round trip of each control-plane call, by method (acquire, renew, release). */
  controlPlaneCallDuration: Histogram<"method">;
  failovers: Counter;
}

/** Registers the relay's metrics on `registry`. */
export function createRelayMetrics(registry: Registry): RelayMetrics {
  const registers = [registry];
  const requests = new Counter({
    name: "relay_requests_total",
    help: "Requests answered, by route and HTTP status.",
    labelNames: ["route", "status"],
    registers,
  });
  const requestDuration = new Histogram({
    name: "relay_request_duration_seconds",
    help: "Time from the request's arrival to the end of its response.",
    labelNames: ["route"],
    buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers,
  });
  // prom-client hashes the label object on every call; the children are looked up once instead.
  const counted = new Map<RouteLabel, Map<number, { inc(): void }>>();
  const timed = new Map<RouteLabel, { observe(value: number): void }>();

  return {
    countRequest(route, status, seconds) {
      let byStatus = counted.get(route);
      if (byStatus === undefined) counted.set(route, (byStatus = new Map()));
      let counter = byStatus.get(status);
      if (counter === undefined) byStatus.set(status, (counter = requests.labels(route, String(status))));
      counter.inc();
      if (seconds === undefined) return;
      let histogram = timed.get(route);
      if (histogram === undefined) timed.set(route, (histogram = requestDuration.labels(route)));
      histogram.observe(seconds);
    },
    requests,
    requestDuration,
    upstreamTtfb: new Histogram({
      name: "relay_upstream_ttfb_seconds",
      help: "Time from sending the upstream request to its response headers.",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    }),
    activeStreams: new Gauge({
      name: "relay_active_streams",
      help: "Upstream responses being relayed to clients right now.",
      registers,
    }),
    leaseRefusals: new Counter({
      name: "relay_lease_refusals_total",
      help: "Acquire calls the control plane refused, by reason.",
      labelNames: ["reason"],
      registers,
    }),
    controlPlaneErrors: new Counter({
      name: "relay_control_plane_errors_total",
      help: "Control-plane calls that failed (unreachable, deadline, rejected).",
      registers,
    }),
    controlPlaneCallDuration: new Histogram({
      name: "relay_control_plane_call_duration_seconds",
      help: "Time from sending a control-plane call to its answer or failure, by method.",
      labelNames: ["method"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers,
    }),
    failovers: new Counter({
      name: "relay_failovers_total",
      help: "Requests retried on another account after an upstream failure before the first byte.",
      registers,
    }),
  };
}

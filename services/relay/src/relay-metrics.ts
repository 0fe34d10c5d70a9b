/**
 * The relay's Prometheus metrics, registered on the app's own registry. Label
 * sets are closed: routes come from the route table, statuses are HTTP codes,
 * reasons are RefusalReason names.
 */
import { Counter, Gauge, Histogram, type Registry } from "@claude-relay/metrics";
import { OutcomeKind, type Outcome, Platform } from "@claude-relay/proto/lease";

/** Route labels: one per entry of the route table, "not_found", and "client_error" for requests the parser refused. */
export type RouteLabel =
  | "messages"
  | "count_tokens"
  | "models"
  | "gemini_generate"
  | "gemini_stream"
  | "gemini_count_tokens"
  | "gemini_models"
  | "code_assist_generate"
  | "code_assist_stream"
  | "code_assist_count_tokens"
  | "code_assist_housekeeping"
  | "openai_chat_completions"
  | "openai_models"
  | "openai_responses"
  | "key_usage"
  | "root"
  | "hello"
  | "livez"
  | "readyz"
  | "not_found"
  | "client_error";

/** A platform as a metric label; "none" for the relay's own endpoints. */
export type PlatformLabel = "claude" | "gemini" | "openai" | "none";

/** The platform label of a Platform value (Acquire reads unspecified as Claude). */
export function platformLabel(platform: Platform): PlatformLabel {
  if (platform === Platform.GEMINI) return "gemini";
  if (platform === Platform.OPENAI) return "openai";
  return "claude";
}

/** The platform a route serves when the route alone decides it; the chat-completions routes serve several. */
export function platformOfRoute(route: RouteLabel): PlatformLabel {
  if (route === "messages" || route === "count_tokens" || route === "models") return "claude";
  if (route.startsWith("gemini_") || route.startsWith("code_assist_")) return "gemini";
  if (route === "openai_responses") return "openai";
  return "none";
}

/** The front door a route belongs to, as a metric label; "none" for the relay's own endpoints. */
export function frontDoorOfRoute(route: RouteLabel): "anthropic" | "gemini" | "code-assist" | "openai-chat" | "openai-responses" | "none" {
  if (route === "messages" || route === "count_tokens" || route === "models") return "anthropic";
  if (route.startsWith("gemini_")) return "gemini";
  if (route.startsWith("code_assist_")) return "code-assist";
  if (route === "openai_responses") return "openai-responses";
  if (route.startsWith("openai_")) return "openai-chat";
  return "none";
}

/** The relay's metrics. */
export interface RelayMetrics {
  /** Counts one answered request, and observes its duration when given (label children cached); `platform` when the route alone does not say. */
  countRequest(route: RouteLabel, status: number, seconds?: number, platform?: PlatformLabel): void;
  /** Counts one upstream attempt on an account by how it ended (label children cached). */
  countAttempt(accountId: string, outcome: Outcome | undefined): void;
  upstreamAttempts: Counter<"account" | "outcome">;
  requests: Counter<"route" | "status" | "platform" | "front_door">;
  requestDuration: Histogram<"route">;
  upstreamTtfb: Histogram;
  activeStreams: Gauge;
  leaseRefusals: Counter<"reason" | "platform">;
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
    help: "Requests answered, by route, HTTP status, the platform that served them and the front door they came in on.",
    labelNames: ["route", "status", "platform", "front_door"],
    registers,
  });
  const requestDuration = new Histogram({
    name: "relay_request_duration_seconds",
    help: "Time from the request's arrival to the end of its response.",
    labelNames: ["route"],
    buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers,
  });
  const upstreamAttempts = new Counter({
    name: "relay_upstream_attempts_total",
    help: "Upstream attempts by account and how they ended: success, client_aborted, or the upstream status class (4xx, 5xx, 429, 529), connection_failure, stream_interrupted.",
    labelNames: ["account", "outcome"],
    registers,
  });
  const attempts = new Map<string, { inc(): void }>();
  // prom-client hashes the label object on every call; the children are looked up once instead.
  const counted = new Map<string, Map<number, { inc(): void }>>();
  const timed = new Map<RouteLabel, { observe(value: number): void }>();

  return {
    countRequest(route, status, seconds, platform = platformOfRoute(route)) {
      const key = `${route}\u0000${platform}`;
      let byStatus = counted.get(key);
      if (byStatus === undefined) counted.set(key, (byStatus = new Map()));
      let counter = byStatus.get(status);
      if (counter === undefined) byStatus.set(status, (counter = requests.labels(route, String(status), platform, frontDoorOfRoute(route))));
      counter.inc();
      if (seconds === undefined) return;
      let histogram = timed.get(route);
      if (histogram === undefined) timed.set(route, (histogram = requestDuration.labels(route)));
      histogram.observe(seconds);
    },
    countAttempt(accountId, outcome) {
      const label = outcomeLabel(outcome);
      const cacheKey = `${accountId}\u0000${label}`;
      let counter = attempts.get(cacheKey);
      if (counter === undefined) attempts.set(cacheKey, (counter = upstreamAttempts.labels(accountId, label)));
      counter.inc();
    },
    upstreamAttempts,
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
      help: "Requests the control plane refused (at Acquire, or a bad key at the key check), by reason and platform.",
      labelNames: ["reason", "platform"],
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

/** A closed label set for an attempt's outcome. */
export function outcomeLabel(outcome: Outcome | undefined): string {
  switch (outcome?.kind) {
    case OutcomeKind.SUCCESS:
      return "success";
    case OutcomeKind.CLIENT_ABORTED:
      return "client_aborted";
    case OutcomeKind.CONNECTION_FAILURE:
      return "connection_failure";
    case OutcomeKind.STREAM_INTERRUPTED:
      return "stream_interrupted";
    case OutcomeKind.UPSTREAM_ERROR: {
      const status = outcome.status;
      if (status === 429 || status === 529) return String(status);
      return status >= 500 ? "5xx" : "4xx";
    }
    default:
      return "unknown";
  }
}

import { create } from "@bufbuild/protobuf";
import { createMetricsRegistry } from "@claude-relay/metrics";
import { OutcomeKind, OutcomeSchema, Platform } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import { createRelayMetrics, frontDoorOfRoute, outcomeLabel, platformLabel, platformOfRoute } from "./relay-metrics.js";

const outcome = (kind: OutcomeKind, status = 0) => create(OutcomeSchema, { kind, status });

describe("outcomeLabel", () => {
  it("maps every outcome to a closed label set", () => {
    expect(outcomeLabel(outcome(OutcomeKind.SUCCESS, 200))).toBe("success");
    expect(outcomeLabel(outcome(OutcomeKind.UPSTREAM_ERROR, 429))).toBe("429");
    expect(outcomeLabel(outcome(OutcomeKind.UPSTREAM_ERROR, 529))).toBe("529");
    expect(outcomeLabel(outcome(OutcomeKind.UPSTREAM_ERROR, 503))).toBe("5xx");
    expect(outcomeLabel(outcome(OutcomeKind.UPSTREAM_ERROR, 401))).toBe("4xx");
    expect(outcomeLabel(outcome(OutcomeKind.CONNECTION_FAILURE))).toBe("connection_failure");
    expect(outcomeLabel(outcome(OutcomeKind.CLIENT_ABORTED))).toBe("client_aborted");
    expect(outcomeLabel(outcome(OutcomeKind.STREAM_INTERRUPTED))).toBe("stream_interrupted");
    expect(outcomeLabel(undefined)).toBe("unknown");
  });
});

describe("countAttempt", () => {
  it("counts attempts per account and outcome", async () => {
    const registry = createMetricsRegistry("relay");
    const metrics = createRelayMetrics(registry);
    metrics.countAttempt("acct-1", outcome(OutcomeKind.SUCCESS, 200));
    metrics.countAttempt("acct-1", outcome(OutcomeKind.SUCCESS, 200));
    metrics.countAttempt("acct-2", outcome(OutcomeKind.UPSTREAM_ERROR, 529));
    const text = await registry.metrics();
    expect(text).toContain('relay_upstream_attempts_total{account="acct-1",outcome="success",service="relay"} 2');
    expect(text).toContain('relay_upstream_attempts_total{account="acct-2",outcome="529",service="relay"} 1');
  });
});

describe("route and platform labels", () => {
  it("names the Responses front door and the OpenAI platform", () => {
    expect(frontDoorOfRoute("openai_responses")).toBe("openai-responses");
    expect(frontDoorOfRoute("openai_chat_completions")).toBe("openai-chat");
    expect(platformOfRoute("openai_responses")).toBe("openai");
    expect(platformLabel(Platform.OPENAI)).toBe("openai");
    expect(platformLabel(Platform.UNSPECIFIED)).toBe("claude");
  });
});

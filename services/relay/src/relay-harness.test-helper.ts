/**
 * A whole relay for tests, on loopback: the fake lease service, the mock Anthropic
 * upstream, and the relay built by buildRelay on a free port, with its log lines
 * captured. Everything it starts, close() stops.
 */
import { loadConfig } from "@claude-relay/config";
import { createLogger } from "@claude-relay/logging";
import { type MockAnthropic, type MockGemini, type MockOpenAI, startMockAnthropic, startMockGemini, startMockOpenAI } from "@claude-relay/testkit";
import { Agent } from "undici";
import { buildRelay, type Relay } from "./app.js";
import { relayConfigSchema } from "./config.js";
import { type FakeAccount, type FakeLeaseServer, startFakeLeaseServer } from "./control-plane/fake-lease-server.test-helper.js";

/** The internal token the harness configures on both ends. */
export const TEST_INTERNAL_TOKEN = "internal-token-for-tests-0123456789";

/** Options of startRelayHarness. */
export interface RelayHarnessOptions {
  /** Extra RELAY_* variables. */
  env?: Record<string, string>;
  /** Accounts on the mock upstreams; default one API-key account "acct-1" (and "acct-2") on the Anthropic mock. */
  accounts?: (mockUrl: string, gemini: MockGemini | undefined, openai: MockOpenAI | undefined) => FakeAccount[];
  /** Also start the mock Google upstream (Gemini API, Code Assist, token endpoint). */
  gemini?: boolean;
  /** Also start the mock OpenAI upstream (OpenAI API, Codex backend, token endpoint). */
  openai?: boolean;
  ttlMs?: number;
  /** Start the relay against a control plane that is not there. */
  controlPlaneDown?: boolean;
}

/** A running relay with its fakes. */
export interface RelayHarness {
  url: string;
  port: number;
  /** Base URL of the operator port (/metrics). */
  metricsUrl: string;
  relay: Relay;
  mock: MockAnthropic;
  /** Set when started with `gemini: true`. */
  gemini: MockGemini | undefined;
  /** Set when started with `openai: true`. */
  openai: MockOpenAI | undefined;
  fake: FakeLeaseServer;
  logs: Array<Record<string, unknown>>;
  /** A client dispatcher with a short keep-alive, closed by close(). */
  client: Agent;
  close(): Promise<void>;
}

/** Starts the fakes and a relay pointed at them. */
export async function startRelayHarness(options: RelayHarnessOptions = {}): Promise<RelayHarness> {
  const mock = await startMockAnthropic();
  const gemini = options.gemini ? await startMockGemini() : undefined;
  const openai = options.openai ? await startMockOpenAI() : undefined;
  const accounts = options.accounts?.(mock.url, gemini, openai) ?? [
    { id: "acct-1", baseUrl: mock.url },
    { id: "acct-2", baseUrl: mock.url },
  ];
  const fake = await startFakeLeaseServer({ accounts, ttlMs: options.ttlMs, token: TEST_INTERNAL_TOKEN });
  // A port nothing listens on: the fake is closed again at once.
  let target = fake.target;
  if (options.controlPlaneDown) {
    await fake.close();
    target = fake.target;
  }
  const config = loadConfig(relayConfigSchema, {
    RELAY_PORT: "0",
    RELAY_METRICS_PORT: "0",
    RELAY_CONTROL_PLANE_URL: target,
    RELAY_INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
    RELAY_CONTROL_PLANE_DEADLINE_MS: "2000",
    LOG_LEVEL: "debug",
    ...options.env,
  });
  const logs: Array<Record<string, unknown>> = [];
  const log = createLogger({
    service: "relay",
    level: config.LOG_LEVEL,
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const relay = buildRelay(config, log);
  const { port, metricsPort } = await relay.start();
  const client = new Agent({ keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000 });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    metricsUrl: `http://127.0.0.1:${metricsPort}`,
    relay,
    mock,
    gemini,
    openai,
    fake,
    logs,
    client,
    async close() {
      await client.destroy().catch(() => {});
      await relay.close({ drainMs: 0 });
      await mock.close();
      await gemini?.close();
      await openai?.close();
      if (!options.controlPlaneDown) await fake.close();
    },
  };
}

/** A minimal valid Messages body; `extra` fields are merged in. */
export function messagesBody(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    model: "claude-sonnet-4-5",
    max_tokens: 64,
    messages: [{ role: "user", content: "Say hi" }],
    ...extra,
  });
}

import { freePort, startMockAnthropic, type MockAnthropic } from "@claude-relay/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccountTester } from "./account-test.js";

const CONSOLE_KEY = "sk-ant-api-tester-secret-1";
const OAUTH_TOKEN = "sk-ant-oat-tester-secret-2";

let mock: MockAnthropic;

beforeAll(async () => {
  mock = await startMockAnthropic();
});

afterAll(async () => {
  await mock?.close();
});

describe("createAccountTester", () => {
  it("sends one tiny request with the console key and reports ok, status and latency", async () => {
    const before = mock.requests.length;
    const result = await createAccountTester().test({ type: "claude-console", baseUrl: mock.url, credential: { kind: "api-key", apiKey: CONSOLE_KEY }, model: "claude-haiku-4-5" });
    expect(result).toMatchObject({ ok: true, httpStatus: 200, errorType: "", errorMessage: "", model: "claude-haiku-4-5" });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.latencyMs).toBeLessThan(15_000);
    const sent = mock.requests[before]!;
    expect(sent.method).toBe("POST");
    expect(sent.path).toBe("/v1/messages");
    expect(sent.headers["x-api-key"]).toBe(CONSOLE_KEY);
    expect(sent.headers["anthropic-version"]).toBe("2023-06-01");
    expect(sent.headers.authorization).toBeUndefined();
    expect(JSON.parse(sent.body.toString("utf8"))).toEqual({ model: "claude-haiku-4-5", max_tokens: 1, messages: [{ role: "user", content: "ping" }] });
  });

  it("sends an OAuth token as a bearer with the OAuth beta", async () => {
    const before = mock.requests.length;
    const credential = { kind: "oauth" as const, accessToken: OAUTH_TOKEN, refreshToken: "r", expiresAtMs: 0, scopes: [] };
    const result = await createAccountTester().test({ type: "claude-oauth", baseUrl: `${mock.url}/`, credential, model: "claude-sonnet-4-5" });
    expect(result.ok).toBe(true);
    const sent = mock.requests[before]!;
    expect(sent.headers.authorization).toBe(`Bearer ${OAUTH_TOKEN}`);
    expect(sent.headers["anthropic-beta"]).toBe("oauth-2025-04-20");
    expect(sent.headers["x-api-key"]).toBeUndefined();
  });

  it("reports the upstream's 401 with its error type and message, with the credential scrubbed", async () => {
    mock.enqueue({ kind: "error", status: 401, message: `invalid x-api-key ${CONSOLE_KEY}` });
    const result = await createAccountTester().test({ type: "claude-console", baseUrl: mock.url, credential: { kind: "api-key", apiKey: CONSOLE_KEY }, model: "claude-haiku-4-5" });
    expect(result).toMatchObject({ ok: false, httpStatus: 401, errorType: "authentication_error" });
    expect(result.errorMessage).toContain("invalid x-api-key");
    expect(result.errorMessage).not.toContain(CONSOLE_KEY);
  });

  it("reports an unreachable base URL as a connection error without a status", async () => {
    const port = await freePort();
    const result = await createAccountTester().test({ type: "claude-console", baseUrl: `http://127.0.0.1:${port}`, credential: { kind: "api-key", apiKey: CONSOLE_KEY }, model: "m" });
    expect(result).toMatchObject({ ok: false, httpStatus: 0, errorType: "connection_error" });
    expect(result.errorMessage).toMatch(/ECONNREFUSED/);
  });

  it("gives up after its timeout when the upstream does not answer", async () => {
    mock.enqueue({ kind: "stall" });
    const result = await createAccountTester({ timeoutMs: 300 }).test({ type: "claude-console", baseUrl: mock.url, credential: { kind: "api-key", apiKey: CONSOLE_KEY }, model: "m" });
    expect(result).toMatchObject({ ok: false, httpStatus: 0, errorType: "timeout" });
  });
});

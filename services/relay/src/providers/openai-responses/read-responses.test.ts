import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { Platform, UpstreamAccountType } from "@claude-relay/proto/lease";
import { describe, expect, it } from "vitest";
import { continuationHash, sha256Hex } from "../../http/read-body.js";
import { readResponsesRequest, responsesSessionHash } from "./read-responses.js";

function incoming(body: string, headers: IncomingHttpHeaders = { authorization: "Bearer cr_key" }): IncomingMessage {
  return Object.assign(Readable.from([Buffer.from(body, "utf8")]), { headers, url: "/openai/v1/responses", method: "POST" }) as unknown as IncomingMessage;
}

const read = (body: string, headers?: IncomingHttpHeaders, maxBodyBytes = 1_000) => readResponsesRequest(incoming(body, headers), { maxBodyBytes });

describe("readResponsesRequest", () => {
  it("reads the model, the stream flag and the key, and keeps the body's bytes", async () => {
    const body = '{ "model": "gpt-5-codex", "stream": true, "store": false, "input": "héllo" }';
    const read1 = await read(body);
    expect(read1.ok && read1.request).toMatchObject({ model: "gpt-5-codex", stream: true, keyHash: sha256Hex("cr_key"), platform: Platform.OPENAI, sessionHash: "" });
    expect(read1.ok && read1.request.body.toString("utf8")).toBe(body);
    expect(read1.ok && read1.request.accountTypes).toBeUndefined();
  });

  it("keeps what the Codex backend must refuse on API-key accounts", async () => {
    for (const body of ['{"model":"gpt-5"}', '{"model":"gpt-5","stream":true}', '{"model":"gpt-5","stream":false,"store":false}']) {
      const result = await read(body);
      expect(result.ok && result.request.accountTypes).toEqual([UpstreamAccountType.OPENAI_API]);
    }
  });

  it("takes the key from x-api-key too", async () => {
    const result = await read('{"model":"gpt-5"}', { "x-api-key": "cr_other" });
    expect(result.ok && result.request.keyHash).toBe(sha256Hex("cr_other"));
  });

  const refusals: Array<{ name: string; body: string; headers?: IncomingHttpHeaders; failure: Record<string, unknown> }> = [
    { name: "no key", body: '{"model":"gpt-5"}', headers: {}, failure: { kind: "missing-key" } },
    { name: "a body over the limit", body: `{"model":"gpt-5","input":"${"x".repeat(2_000)}"}`, failure: { kind: "body-too-large", limitBytes: 1_000 } },
    { name: "bad JSON", body: '{"model":', failure: { kind: "invalid-request", param: null } },
    { name: "a JSON array", body: "[]", failure: { kind: "invalid-request" } },
    { name: "no model", body: '{"input":"hi"}', failure: { kind: "invalid-request", message: "Missing required parameter: 'model'.", param: "model" } },
  ];
  for (const row of refusals) {
    it(`refuses ${row.name}`, async () => {
      const result = await read(row.body, row.headers);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.failure).toMatchObject(row.failure);
    });
  }
});

describe("responsesSessionHash", () => {
  const table: Array<{ name: string; fields: Record<string, unknown>; headers: IncomingHttpHeaders; hash: string }> = [
    { name: "the continued response", fields: { previous_response_id: "resp_1", prompt_cache_key: "k" }, headers: { session_id: "s" }, hash: continuationHash("resp_1") },
    { name: "Codex's session-id header", fields: { prompt_cache_key: "k" }, headers: { "session-id": "s-2", "thread-id": "t-2" }, hash: sha256Hex("s-2") },
    { name: "an older Codex's session_id", fields: { prompt_cache_key: "k" }, headers: { session_id: "s-1", conversation_id: "c-1" }, hash: sha256Hex("s-1") },
    { name: "Codex's conversation_id", fields: {}, headers: { conversation_id: "c-1" }, hash: sha256Hex("c-1") },
    { name: "the prompt cache key", fields: { prompt_cache_key: "k" }, headers: {}, hash: sha256Hex("k") },
    { name: "nothing", fields: { previous_response_id: "" }, headers: {}, hash: "" },
  ];
  for (const row of table) it(`hashes ${row.name}`, () => expect(responsesSessionHash(row.fields, row.headers)).toBe(row.hash));

  it("never confuses a response id with a session of the same name", () => {
    expect(continuationHash("s-1")).not.toBe(sha256Hex("s-1"));
  });
});

import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_MOCK_OPENAI_API_KEY, type MockOpenAI, startMockOpenAI } from "./mock-openai.js";
import { DEFAULT_MOCK_OPENAI_TEXT } from "./mock-openai-reply.js";

let mock: MockOpenAI;
let client: OpenAI;

beforeEach(async () => {
  mock = await startMockOpenAI();
  client = new OpenAI({ apiKey: DEFAULT_MOCK_OPENAI_API_KEY, baseURL: mock.apiBaseUrl, maxRetries: 0 });
});

afterEach(async () => {
  await mock.close();
});

describe("startMockOpenAI with the official openai SDK", () => {
  it("answers responses.create", async () => {
    const response = await client.responses.create({ model: "gpt-5", input: "héllo", instructions: "Be brief." });
    expect(response.output_text).toBe(DEFAULT_MOCK_OPENAI_TEXT);
    expect(response.usage?.total_tokens).toBeGreaterThan(0);
  });

  it("streams responses.create, and continues from the response with previous_response_id", async () => {
    const stream = await client.responses.create({ model: "gpt-5", input: "héllo", stream: true });
    const types: string[] = [];
    let text = "";
    let id = "";
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") text += event.delta;
      if (event.type === "response.completed") id = event.response.id;
    }
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.completed");
    expect(text).toBe(DEFAULT_MOCK_OPENAI_TEXT);
    const next = await client.responses.create({ model: "gpt-5", input: "and then?", previous_response_id: id });
    expect(next.previous_response_id).toBe(id);
  });

  it("answers chat.completions.create, streamed and not, and surfaces a refusal as an APIError", async () => {
    const whole = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "héllo" }] });
    expect(whole.choices[0]?.message.content).toBe(DEFAULT_MOCK_OPENAI_TEXT);
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "héllo" }], stream: true, stream_options: { include_usage: true } });
    let text = "";
    let total = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      total = chunk.usage?.total_tokens ?? total;
    }
    expect(text).toBe(DEFAULT_MOCK_OPENAI_TEXT);
    expect(total).toBeGreaterThan(0);
    await expect(client.responses.create({ model: "gpt-9", input: "x" })).rejects.toMatchObject({ status: 400, code: "model_not_found" });
  });
});

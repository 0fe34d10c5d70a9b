/**
 * Runs the Vercel AI SDK's streamText with one tool (get_weather) against an OpenAI-compatible base
 * URL, as an application would, and prints what it saw as one JSON line. It runs in its own Node
 * process: vitest starts test processes with `--conditions source`, under which eventsource-parser
 * (which the AI SDK streams through) resolves to TypeScript sources Node cannot load.
 *
 * Input (one JSON argument): { baseURL, apiKey, model, parameters }.
 * Output: { text, steps: [{ finishReason, toolCalls, toolResults }], executed, outputTokens } or { error }.
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { jsonSchema, stepCountIs, streamText, tool } from "ai";

const { baseURL, apiKey, model, parameters } = JSON.parse(process.argv[2] ?? "{}");
const executed = [];
try {
  const relay = createOpenAICompatible({ name: "relay", baseURL, apiKey, includeUsage: true });
  const result = streamText({
    model: relay.chatModel(model),
    system: "Use tools when they help.",
    prompt: "What is the weather in Oslo?",
    tools: {
      get_weather: tool({
        description: "Current weather in a city",
        inputSchema: jsonSchema(parameters),
        execute: async (input) => {
          executed.push(input);
          return { city: input.city, temperature_c: 12, conditions: "sunny" };
        },
      }),
    },
    stopWhen: stepCountIs(3),
    maxRetries: 0,
  });
  const text = await result.text;
  const steps = (await result.steps).map((step) => ({
    finishReason: step.finishReason,
    toolCalls: step.toolCalls.map((call) => ({ toolName: call.toolName, input: call.input })),
    toolResults: step.toolResults.map((r) => r.output),
  }));
  const usage = await result.totalUsage;
  process.stdout.write(`${JSON.stringify({ text, steps, executed, outputTokens: usage.outputTokens ?? 0 })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: String(error?.stack ?? error) })}\n`);
}

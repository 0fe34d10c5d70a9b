/**
 * What an answering reply of the mock Anthropic upstream says to one (accepted) Messages request:
 * the content blocks and the stop reason, decided the way the model's turn would go. A request
 * that forces a tool (`tool_choice` `tool`, or `any`) gets a call of that tool; a `tool-use` reply
 * calls its tool (and any parallel ones) until the last turn carries the tool's result, then
 * answers text; thinking is given only when the request turns it on. Tool inputs the script does not
 * give are sampled from the tool's `input_schema`, so they fit it. The bytes are left to
 * mock-messages.ts; checking the request to mock-anthropic-request.ts.
 */
import { answeredToolUses, declaredTools, forcedTool, isObject, type JsonObject, thinkingOn } from "./mock-anthropic-request.js";
import { sampleForSchema } from "./mock-gemini-schema.js";
import { DEFAULT_MOCK_TEXT, type MockBlock, type MockMessage, mockThinkingSignature, mockToolUseId } from "./mock-messages.js";

/** One tool call of a scripted answer; `input` defaults to a value fitting the tool's input_schema. */
export interface MockToolCall {
  name: string;
  input?: Record<string, unknown>;
}

/** The parts of a script that decide the content of an answer. */
export type MockAnswerScript =
  | { kind: "message"; text?: string; thinking?: string }
  | { kind: "tool-use"; name: string; input?: Record<string, unknown>; text?: string; parallel?: readonly MockToolCall[]; answer?: string; thinking?: string };

/** The content and stop reason of the answer `script` gives to `request`. */
export function answerContent(request: JsonObject, script: MockAnswerScript): Pick<MockMessage, "content" | "stopReason"> {
  const thinking = thinkingBlocks(request, script.thinking);
  if (script.kind === "tool-use") {
    if (answeredToolUses(request).some((use) => use.name === script.name)) {
      return { content: [...thinking, { type: "text", text: script.answer ?? DEFAULT_MOCK_TEXT }], stopReason: "end_turn" };
    }
    const calls = [{ name: script.name, input: script.input }, ...(script.parallel ?? [])].map((call) => toolUse(request, call));
    const text: MockBlock[] = script.text !== undefined && script.text !== "" ? [{ type: "text", text: script.text }] : [];
    return { content: [...thinking, ...text, ...calls], stopReason: "tool_use" };
  }
  const forced = forcedTool(request);
  // The API starts a forced call itself, so the turn holds nothing before it (and thinking cannot be on).
  if (forced !== undefined) return { content: [toolUse(request, { name: forced.name as string })], stopReason: "tool_use" };
  return { content: [...thinking, { type: "text", text: script.text ?? DEFAULT_MOCK_TEXT }], stopReason: "end_turn" };
}

function thinkingBlocks(request: JsonObject, text: string | undefined): MockBlock[] {
  if (text === undefined || !thinkingOn(request)) return [];
  // `display: "omitted"` keeps the signed block but not its text.
  const omitted = isObject(request.thinking) && request.thinking.display === "omitted";
  return [{ type: "thinking", thinking: omitted ? "" : text, signature: mockThinkingSignature() }];
}

function toolUse(request: JsonObject, call: MockToolCall): MockBlock {
  let input = call.input;
  if (input === undefined) {
    const sample = sampleForSchema(declaredTools(request).get(call.name)?.input_schema);
    input = isObject(sample) ? sample : {};
  }
  return { type: "tool_use", id: mockToolUseId(), name: call.name, input };
}

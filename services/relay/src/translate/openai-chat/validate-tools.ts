/**
 * Checks `tools`, `tool_choice` and `parallel_tool_calls` together, since each
 * is read against the others: a forced function must be one of the tools, a
 * choice that needs a tool needs tools, and Gemini has no way to ask for one
 * call at a time (its FunctionCallingConfig has no such switch,
 * https://ai.google.dev/api/caching#FunctionCallingConfig), so
 * `parallel_tool_calls: false` with tools is refused there. Function names
 * follow OpenAI's own rule (letters, digits, `_` and `-`, at most 64), which
 * both targets accept (Anthropic's tool names allow the same characters up to
 * 128, https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use).
 * Only `function` tools exist upstream; custom tools and `allowed_tools` are refused.
 */
import { type ChatRefusal, type ChatTarget, type FunctionTool, refuse, type ToolChoice } from "./chat-request.js";
import { isObject } from "./validate-messages.js";

/** Read tools and choice (absent when the client sent none), or the first problem. */
export type ToolsRead = { ok: true; tools?: FunctionTool[]; toolChoice?: ToolChoice } | ChatRefusal;

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Checks the three parameters; `null` counts as absent. */
export function validateTools(tools: unknown, choice: unknown, parallel: boolean | undefined, target: ChatTarget): ToolsRead {
  const list: FunctionTool[] = [];
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools)) return refuse("tools", "tools must be an array.");
    const names = new Set<string>();
    for (let i = 0; i < tools.length; i++) {
      const read = functionTool(tools[i], `tools[${i}]`);
      if (!read.ok) return read;
      const { name } = read.tool.function;
      if (names.has(name)) return refuse(`tools[${i}].function.name`, `Tool names must be unique; ${name} appears twice.`);
      names.add(name);
      list.push(read.tool);
    }
  }
  if (parallel === false && list.length > 0 && target === "gemini") {
    return refuse("parallel_tool_calls", "Gemini models cannot be limited to one tool call at a time.");
  }
  let toolChoice: ToolChoice | undefined;
  if (choice !== undefined && choice !== null) {
    if (choice === "none" || choice === "auto") {
      toolChoice = choice;
    } else if (choice === "required") {
      if (list.length === 0) return refuse("tool_choice", "tool_choice 'required' needs tools.");
      toolChoice = choice;
    } else if (isObject(choice) && choice.type === "function" && isObject(choice.function) && typeof choice.function.name === "string") {
      const name = choice.function.name;
      if (!list.some((tool) => tool.function.name === name)) return refuse("tool_choice", `tool_choice names ${name}, which is not one of the tools.`);
      toolChoice = { type: "function", function: { name } };
    } else {
      return refuse("tool_choice", "tool_choice must be none, auto, required or a function.");
    }
  }
  return { ok: true, ...(list.length > 0 && { tools: list }), ...(toolChoice && { toolChoice }) };
}

function functionTool(value: unknown, at: string): { ok: true; tool: FunctionTool } | ChatRefusal {
  if (!isObject(value) || value.type !== "function" || !isObject(value.function)) return refuse(`${at}.type`, "Only function tools are supported.");
  const fn = value.function;
  if (typeof fn.name !== "string" || !NAME.test(fn.name)) return refuse(`${at}.function.name`, "A function name has letters, digits, _ and - only, at most 64.");
  if (fn.description !== undefined && fn.description !== null && typeof fn.description !== "string") return refuse(`${at}.function.description`, "description must be a string.");
  if (fn.parameters !== undefined && fn.parameters !== null && !isObject(fn.parameters)) return refuse(`${at}.function.parameters`, "parameters must be a JSON Schema object.");
  return {
    ok: true,
    tool: {
      type: "function",
      function: {
        name: fn.name,
        ...(typeof fn.description === "string" && { description: fn.description }),
        ...(isObject(fn.parameters) && { parameters: fn.parameters }),
      },
    },
  };
}

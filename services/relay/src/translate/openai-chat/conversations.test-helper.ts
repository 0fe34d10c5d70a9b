/**
 * Conversations built from a handful of building blocks in every order (up to
 * four blocks), for tests that check a translator never produces a request its
 * upstream would refuse: blank and non-blank turns, repeated roles, tool loops
 * with one and two calls, system messages in the middle, media parts.
 */
type Message = Record<string, unknown>;

let calls = 0;
const call = (name: string, args: string) => ({ id: `call_${++calls}`, type: "function", function: { name, arguments: args } });

const BLOCKS: Record<string, () => Message[]> = {
  user: () => [{ role: "user", content: "What is the weather?" }],
  blankUser: () => [{ role: "user", content: "   " }],
  parts: () => [{ role: "user", content: [{ type: "text", text: "Look" }, { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }] }],
  assistant: () => [{ role: "assistant", content: "It is sunny." }],
  blankAssistant: () => [{ role: "assistant", content: "" }],
  system: () => [{ role: "system", content: "Answer briefly." }],
  oneCall: () => {
    const c = call("get_weather", '{"location":"Paris"}');
    return [{ role: "assistant", content: null, tool_calls: [c] }, { role: "tool", tool_call_id: c.id, content: "18C" }];
  },
  twoCalls: () => {
    const a = call("get_weather", '{"location":"Rome"}');
    const b = call("get_time", "");
    return [{ role: "assistant", content: "Checking.", tool_calls: [a, b] }, { role: "tool", tool_call_id: a.id, content: '{"temp":24}' }, { role: "tool", tool_call_id: b.id, content: [{ type: "text", text: "09:00" }] }];
  },
};

/** The tools the conversations call. */
export const CONVERSATION_TOOLS = [
  { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { location: { type: "string" } } } } },
  { type: "function", function: { name: "get_time" } },
];

/** Every sequence of up to `length` blocks, as message lists (names joined for test titles). */
export function conversations(length = 4): Array<{ name: string; messages: Message[] }> {
  const names = Object.keys(BLOCKS);
  const out: Array<{ name: string; messages: Message[] }> = [];
  const walk = (prefix: string[]): void => {
    if (prefix.length > 0) out.push({ name: prefix.join(" "), messages: prefix.flatMap((n) => (BLOCKS[n] as () => Message[])()) });
    if (prefix.length < length) for (const n of names) walk([...prefix, n]);
  };
  walk([]);
  return out;
}

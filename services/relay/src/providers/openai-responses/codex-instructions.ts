/**
 * The Codex backend refuses a Responses request without top-level
 * `instructions` ("Instructions are required"), while Codex CLI talking to an
 * API-style provider, and the SDKs, may carry their whole prompt as developer
 * or system messages in `input` and send none. On the way to a ChatGPT
 * account such a body gains a short neutral `instructions` member, written in
 * just after the opening brace; nothing else is touched or re-serialized. A
 * body that has its own instructions goes as it came.
 */

/** What the backend gets when the client named no instructions. */
export const DEFAULT_CODEX_INSTRUCTIONS = "Follow the developer and user messages.";

/** The body with `instructions` added, or the same buffer when it needs none (or is not a JSON object). */
export function withCodexInstructions(body: Buffer, hasInstructions: boolean): Buffer {
  if (hasInstructions) return body;
  let start = 0;
  while (start < body.length && isSpace(body[start] as number)) start++;
  if (body[start] !== 0x7b /* { */) return body;
  const member = `"instructions":${JSON.stringify(DEFAULT_CODEX_INSTRUCTIONS)},`;
  return Buffer.concat([body.subarray(0, start + 1), Buffer.from(member, "utf8"), body.subarray(start + 1)]);
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

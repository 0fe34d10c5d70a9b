import { describe, expect, it } from "vitest";
import { createChatTranslator } from "./chat-translator.js";

const echo = () =>
  createChatTranslator({
    stream: () => ({ event: (e) => `data: ${e.event}:${e.data}\n\n`, end: () => "data: [DONE]\n\n" }),
    json: (body) => JSON.stringify({ mapped: body }),
  });

describe("the chat translator shell", () => {
  it("maps a 2xx event stream event by event, with the client's content type", () => {
    const t = echo();
    expect(t.headers(200, { "content-type": "text/event-stream", "content-length": "5", "request-id": "r" })).toEqual({ "content-type": "text/event-stream; charset=utf-8", "request-id": "r" });
    expect(t.push(Buffer.from("event: a\ndata: 1\n\nevent: b\nda")).toString()).toBe("data: a:1\n\n");
    expect(t.push(Buffer.from("ta: 2\n\n")).toString()).toBe("data: b:2\n\n");
    expect(t.end().toString()).toBe("data: [DONE]\n\n");
  });

  it("maps a 2xx JSON body once, at its end", () => {
    const t = echo();
    expect(t.headers(200, { "content-type": "application/json" })).toEqual({ "content-type": "application/json" });
    expect(t.push(Buffer.from('{"a":')).length).toBe(0);
    expect(t.push(Buffer.from("1}")).length).toBe(0);
    expect(t.end().toString()).toBe('{"mapped":{"a":1}}');
  });

  it("answers an unreadable JSON body with an OpenAI error body", () => {
    const t = echo();
    t.headers(200, { "content-type": "application/json" });
    t.push(Buffer.from("{nope"));
    expect(JSON.parse(t.end().toString())).toEqual({ error: { message: "The upstream answer was not valid JSON.", type: "server_error", param: null, code: null } });
  });

  it("keeps an error answer's status and gives it OpenAI's shape, even when it came as an event stream", () => {
    const t = echo();
    expect(t.headers(529, { "content-type": "text/event-stream" })["content-type"]).toBe("application/json");
    t.push(Buffer.from('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'));
    expect(JSON.parse(t.end().toString())).toEqual({ error: { message: "Overloaded", type: "service_unavailable_error", param: null, code: "server_is_overloaded" } });
  });
});

import { describe, expect, it } from "vitest";
import { fileMedia, guessMimeType, parseDataUrl, sessionIdentityOf, sniffImageType } from "./content-parts.js";
import type { ChatRequest } from "./chat-request.js";

describe("media parts", () => {
  it("reads base64 data URLs only", () => {
    expect(parseDataUrl("data:image/PNG;base64,iVBO")).toEqual({ mimeType: "image/png", data: "iVBO" });
    expect(parseDataUrl("data:application/pdf;name=a.pdf;base64,JVBE")).toEqual({ mimeType: "application/pdf", data: "JVBE" });
    expect(parseDataUrl("data:text/plain,hello")).toBeUndefined();
    expect(parseDataUrl("https://x/y.png")).toBeUndefined();
  });

  it("reads an image's type off its first bytes, whatever its data URL says", () => {
    const b64 = (bytes: number[], text = "") => Buffer.concat([Buffer.from(bytes), Buffer.from(text, "latin1")]).toString("base64");
    expect(sniffImageType(b64([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe("image/png");
    expect(sniffImageType(b64([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg");
    expect(sniffImageType(b64([], "GIF89a"))).toBe("image/gif");
    expect(sniffImageType(b64([], "RIFF\u0000\u0000\u0000\u0000WEBP"))).toBe("image/webp");
    expect(sniffImageType(b64([], "BM not an image we know"))).toBeUndefined();
  });

  it("guesses a URL's type from its extension", () => {
    expect(guessMimeType("https://x.com/a/b.webp?size=2")).toBe("image/webp");
    expect(guessMimeType("https://x.com/doc.PDF")).toBe("application/pdf");
    expect(guessMimeType("https://x.com/image")).toBe("image/jpeg");
  });

  it("takes a file as a data URL or bare base64 PDF", () => {
    expect(fileMedia({ type: "file", file: { file_data: "JVBERi0x\n" } })).toEqual({ mimeType: "application/pdf", data: "JVBERi0x" });
    expect(fileMedia({ type: "file", file: { file_data: "not base64!" } })).toBeUndefined();
  });
});

describe("the session identity", () => {
  const base: ChatRequest = { model: "m", stream: false, includeUsage: false, messages: [{ role: "system", content: "S" }, { role: "user", content: "first" }, { role: "assistant", content: "a" }, { role: "user", content: "second" }] };
  it("is the client's cache key or user when given, else the system text and first user message", () => {
    expect(sessionIdentityOf({ ...base, prompt_cache_key: "k", user: "u" })).toBe("openai-chat:k");
    expect(sessionIdentityOf({ ...base, user: "u" })).toBe("openai-chat:u");
    const later = { ...base, messages: [...base.messages, { role: "user" as const, content: "third" }] };
    expect(sessionIdentityOf(later)).toBe(sessionIdentityOf(base));
  });
});

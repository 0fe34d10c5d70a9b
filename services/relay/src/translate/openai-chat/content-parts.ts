/**
 * Reading the media parts of a chat message for a target: `data:` URLs
 * (RFC 2397, only the base64 form, which is what OpenAI clients send for
 * images and files, https://platform.openai.com/docs/guides/images-vision) and
 * the media type of an http(s) URL guessed from its path's extension, for a
 * target that wants one next to a link (Gemini's `fileData.mimeType`).
 */
import type { ChatRequest, FilePart } from "./chat-request.js";

/** Inline bytes: a media type and base64 data. */
export interface InlineMedia {
  mimeType: string;
  data: string;
}

const DATA_URL = /^data:([a-zA-Z0-9.+-]+\/[a-zA-Z0-9.+-]+)((?:;[^;,]*)*);base64,(.*)$/s;

/** The media type and base64 data of a `data:…;base64,…` URL; undefined for anything else. */
export function parseDataUrl(url: string): InlineMedia | undefined {
  const match = DATA_URL.exec(url);
  if (match === null) return undefined;
  const [, mimeType, , data] = match;
  if (mimeType === undefined || data === undefined || data === "") return undefined;
  return { mimeType: mimeType.toLowerCase(), data };
}

/**
 * The image type the bytes of base64 `data` say, by their first bytes (PNG, JPEG, GIF, WebP
 * signatures); undefined when they say none of these. OpenAI accepts an image whose `data:` URL
 * names another type than its bytes are; Claude refuses it, so the bytes decide.
 */
export function sniffImageType(data: string): string | undefined {
  const head = Buffer.from(data.slice(0, 24), "base64");
  if (head.length >= 8 && head.readUInt32BE(0) === 0x89504e47) return "image/png";
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return "image/jpeg";
  if (head.length >= 6 && head.toString("latin1", 0, 4) === "GIF8") return "image/gif";
  if (head.length >= 12 && head.toString("latin1", 0, 4) === "RIFF" && head.toString("latin1", 8, 12) === "WEBP") return "image/webp";
  return undefined;
}

/** True for an http or https URL. */
export function isWebUrl(url: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(url);
}

/** A file part's bytes: its `data:` URL, or bare base64, which OpenAI documents for PDFs. */
export function fileMedia(part: FilePart): InlineMedia | undefined {
  const data = part.file.file_data;
  if (data.startsWith("data:")) return parseDataUrl(data);
  return /^[A-Za-z0-9+/=\s]+$/.test(data) && data.trim() !== "" ? { mimeType: "application/pdf", data: data.replace(/\s/g, "") } : undefined;
}

const BY_EXTENSION: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  heic: "image/heic",
  heif: "image/heif",
  pdf: "application/pdf",
};

/** The media type an http(s) URL's path suggests; image/jpeg when it suggests none (the URL names an image). */
export function guessMimeType(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return "image/jpeg";
  }
  const dot = path.lastIndexOf(".");
  const extension = dot < 0 ? "" : path.slice(dot + 1).toLowerCase();
  return BY_EXTENSION[extension] ?? "image/jpeg";
}

/**
 * The session identity of a request, for stickiness (DESIGN.md, "Sticky
 * sessions"): the client's `prompt_cache_key`, else `user`, else
 * `safety_identifier`, else the system text with the first user message, which
 * stay the same for every turn of one conversation. The relay hashes it.
 */
export function sessionIdentityOf(request: ChatRequest): string {
  const named = request.prompt_cache_key ?? request.user ?? request.safety_identifier;
  if (named !== undefined) return `openai-chat:${named}`;
  const system: unknown[] = [];
  let firstUser: unknown;
  for (const message of request.messages) {
    if (message.role === "system" || message.role === "developer") system.push(message.content);
    else if (message.role === "user") {
      firstUser = message.content;
      break;
    }
  }
  return `openai-chat:${JSON.stringify([system, firstUser])}`;
}

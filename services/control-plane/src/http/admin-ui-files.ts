/**
 * Serves the built admin UI (services/admin-ui/dist) under /admin/. Hashed
 * files under /admin/assets/ are cached for a year; every other /admin/* path
 * that is not a file gets index.html, uncached, so the SPA's deep links and
 * reloads work and a new build is picked up at once. `/admin` redirects to
 * `/admin/`. Paths that climb out of the build folder are refused, and a
 * missing build answers 503 with what to run.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, resolve, sep } from "node:path";

/** The URL prefix the admin UI lives under (the SPA is built with this base). */
export const ADMIN_UI_PREFIX = "/admin/";

/** Handles a request when it is for the admin UI; returns false to let the caller route it. */
export type AdminUiHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".wasm": "application/wasm",
};

/** Vite names every file under assets/ after its content hash, so it never changes in place. */
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";

const MISSING_BUILD =
  "The admin UI is not built. Run `npm run build -w @claude-relay/admin-ui` (or `npm run build`), then reload.\n";

/** The content type served for a file name. */
export function contentTypeFor(fileName: string): string {
  return CONTENT_TYPES[extname(fileName).toLowerCase()] ?? "application/octet-stream";
}

/** Builds the /admin/ handler over the build folder `distDir` (read on every request, so rebuilds need no restart). */
export function createAdminUiHandler(distDir: string): AdminUiHandler {
  const root = resolve(distDir);
  const indexFile = resolve(root, "index.html");

  return (req, res) => {
    const rawUrl = req.url ?? "/";
    const queryAt = rawUrl.indexOf("?");
    const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    if (path === "/admin") {
      if (!isReadMethod(req.method)) return false;
      res.writeHead(308, { location: `${ADMIN_UI_PREFIX}${queryAt === -1 ? "" : rawUrl.slice(queryAt)}`, "content-length": 0 });
      res.end();
      return true;
    }
    if (!path.startsWith(ADMIN_UI_PREFIX)) return false;
    if (!isReadMethod(req.method)) {
      sendText(res, 405, "method not allowed\n", { allow: "GET, HEAD" });
      return true;
    }
    const file = resolveFile(root, path.slice(ADMIN_UI_PREFIX.length));
    if (file === undefined) {
      sendText(res, 400, "bad path\n");
      return true;
    }
    void serve(req, res, { file, indexFile, isAsset: path.startsWith(`${ADMIN_UI_PREFIX}assets/`) }).catch(() => {
      if (!res.headersSent) sendText(res, 500, "could not read the admin UI files\n");
      else res.destroy();
    });
    return true;
  };
}

function isReadMethod(method: string | undefined): boolean {
  return method === "GET" || method === "HEAD";
}

/**
 * The absolute path for a URL path below /admin/, or undefined when it is
 * malformed or would leave `root` ("..", encoded or not, NUL, backslashes).
 */
function resolveFile(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return undefined;
  if (decoded.split("/").some((segment) => segment === "..")) return undefined;
  const file = resolve(root, `.${sep}${decoded}`);
  return file === root || file.startsWith(root + sep) ? file : undefined;
}

interface ServeTarget {
  file: string;
  indexFile: string;
  isAsset: boolean;
}

async function serve(req: IncomingMessage, res: ServerResponse, { file, indexFile, isAsset }: ServeTarget): Promise<void> {
  const found = await statFile(file);
  if (found !== undefined && file !== indexFile) {
    return sendFile(req, res, file, found, isAsset ? IMMUTABLE : REVALIDATE);
  }
  // A missing hashed asset is a stale page asking for an old build: HTML in its place would only confuse the browser.
  if (isAsset) return sendText(res, 404, "no such asset\n");
  const index = await statFile(indexFile);
  if (index === undefined) return sendText(res, 503, MISSING_BUILD, { "retry-after": "30" });
  return sendFile(req, res, indexFile, index, REVALIDATE);
}

async function statFile(file: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    const info = await stat(file);
    return info.isFile() ? info : undefined;
  } catch {
    return undefined;
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, info: { size: number; mtimeMs: number }, cacheControl: string): void {
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers: Record<string, string | number> = {
    "content-type": contentTypeFor(file),
    "cache-control": cacheControl,
    etag,
    "x-content-type-options": "nosniff",
  };
  if (file.endsWith(".html")) {
    headers["x-frame-options"] = "DENY";
    headers["referrer-policy"] = "no-referrer";
  }
  if (req.headers["if-none-match"] === etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  res.writeHead(200, { ...headers, "content-length": info.size });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on("error", () => res.destroy());
  stream.pipe(res);
}

function sendText(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...extra,
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentTypeFor, createAdminUiHandler } from "./admin-ui-files.js";

const INDEX = '<!doctype html><html><body><div id="app"></div><script type="module" src="/admin/assets/index-abc123.js"></script></body></html>';
const SCRIPT = 'console.log("admin");';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request: the path goes on the wire as given (fetch would normalize ".."). */
function get(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** A server with the handler in front and a 404 "fallthrough" behind it. */
async function startServer(distDir: string): Promise<{ server: Server; port: number }> {
  const handle = createAdminUiHandler(distDir);
  const server = createServer((req, res) => {
    if (handle(req, res)) return;
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("fallthrough");
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return { server, port: (server.address() as AddressInfo).port };
}

function close(server: Server): Promise<void> {
  return new Promise((done) => server.close(() => done()));
}

describe("admin UI files", () => {
  let workDir: string;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "admin-ui-files-"));
    const dist = join(workDir, "dist");
    await mkdir(join(dist, "assets"), { recursive: true });
    await writeFile(join(dist, "index.html"), INDEX);
    await writeFile(join(dist, "assets", "index-abc123.js"), SCRIPT);
    await writeFile(join(dist, "assets", "index-def456.css"), "body{margin:0}");
    await writeFile(join(dist, "robots.txt"), "User-agent: *\nDisallow: /\n");
    await writeFile(join(workDir, "secret.txt"), "outside the build");
    ({ server, port } = await startServer(dist));
  });

  afterAll(async () => {
    if (server) await close(server);
    await rm(workDir, { recursive: true, force: true });
  });

  it("serves index.html at /admin/ without caching", async () => {
    const res = await get(port, "/admin/");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.body).toBe(INDEX);
  });

  it("redirects /admin to /admin/, keeping the query", async () => {
    const res = await get(port, "/admin?lang=zh");
    expect(res.status).toBe(308);
    expect(res.headers.location).toBe("/admin/?lang=zh");
  });

  it("serves index.html for deep links so a reload stays in the app", async () => {
    for (const path of ["/admin/accounts", "/admin/api-keys?x=1", "/admin/some/nested/page"]) {
      const res = await get(port, path);
      expect(res.status, path).toBe(200);
      expect(res.headers["cache-control"], path).toBe("no-cache");
      expect(res.body, path).toBe(INDEX);
    }
  });

  it("serves hashed assets with their content type and a year-long immutable cache", async () => {
    const js = await get(port, "/admin/assets/index-abc123.js");
    expect(js.status).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(js.headers["content-length"]).toBe(String(Buffer.byteLength(SCRIPT)));
    expect(js.body).toBe(SCRIPT);
    const css = await get(port, "/admin/assets/index-def456.css");
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
  });

  it("serves other files of the build without a long cache", async () => {
    const res = await get(port, "/admin/robots.txt");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("no-cache");
  });

  it("answers 404, not index.html, for a missing asset", async () => {
    const res = await get(port, "/admin/assets/index-old999.js");
    expect(res.status).toBe(404);
    expect(res.body).not.toContain("<html");
  });

  it("answers 304 when the browser already has the file", async () => {
    const first = await get(port, "/admin/");
    const etag = String(first.headers.etag);
    const again = await get(port, "/admin/", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
    expect(again.body).toBe("");
  });

  it("answers HEAD with the headers and no body", async () => {
    const res = await get(port, "/admin/assets/index-abc123.js", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers["content-length"]).toBe(String(Buffer.byteLength(SCRIPT)));
    expect(res.body).toBe("");
  });

  it.each(["/admin/../secret.txt", "/admin/assets/../../secret.txt", "/admin/%2e%2e/secret.txt", "/admin/..%2fsecret.txt", "/admin/%2e%2e%5csecret.txt", "/admin/a%00b", "/admin/%zz"])(
    "refuses the path %s",
    async (path) => {
      const res = await get(port, path);
      expect(res.status).toBe(400);
      expect(res.body).not.toContain("outside the build");
    },
  );

  it("refuses methods other than GET and HEAD", async () => {
    const res = await get(port, "/admin/accounts", { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("GET, HEAD");
  });

  it("leaves every other path to the caller", async () => {
    for (const path of ["/", "/administrator", "/claude_relay.admin.v1.AuthService/Login", "/readyz"]) {
      const res = await get(port, path);
      expect(res.body, path).toBe("fallthrough");
    }
  });
});

describe("admin UI files without a build", () => {
  it("answers 503 with the command to run", async () => {
    const workDir = await mkdtemp(join(tmpdir(), "admin-ui-missing-"));
    const { server, port } = await startServer(join(workDir, "dist"));
    try {
      const res = await get(port, "/admin/accounts");
      expect(res.status).toBe(503);
      expect(res.headers["content-type"]).toBe("text/plain; charset=utf-8");
      expect(res.body).toContain("npm run build -w @claude-relay/admin-ui");
    } finally {
      await close(server);
      await rm(workDir, { recursive: true, force: true });
    }
  });
});

describe("contentTypeFor", () => {
  it("knows the types a Vite build produces and falls back to octet-stream", () => {
    expect(contentTypeFor("a.SVG")).toBe("image/svg+xml");
    expect(contentTypeFor("font.woff2")).toBe("font/woff2");
    expect(contentTypeFor("x.js.map")).toBe("application/json; charset=utf-8");
    expect(contentTypeFor("blob.bin")).toBe("application/octet-stream");
  });
});

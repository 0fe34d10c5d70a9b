import { describe, expect, it } from "vitest";
import { parseProxyUrl } from "./proxy-url.js";

describe("parseProxyUrl", () => {
  it("reads an HTTP proxy with percent-encoded credentials and labels it without them", () => {
    expect(parseProxyUrl("http://user%40corp:p%20ss@proxy.internal:3128")).toEqual({
      ok: true,
      proxy: { kind: "http", host: "proxy.internal", port: 3128, username: "user@corp", password: "p ss", label: "http://proxy.internal:3128" },
    });
  });

  it("fills in the default port of each kind", () => {
    const port = (url: string) => {
      const parsed = parseProxyUrl(url);
      return parsed.ok ? parsed.proxy.port : undefined;
    };
    expect(port("http://p")).toBe(80);
    expect(port("https://p")).toBe(443);
    expect(port("socks5://p")).toBe(1080);
  });

  it("takes socks:// and socks5h:// as SOCKS5, and strips IPv6 brackets from the host only", () => {
    const socks = parseProxyUrl("socks://[::1]:9050");
    expect(socks).toMatchObject({ ok: true, proxy: { kind: "socks5", host: "::1", port: 9050, label: "socks5://[::1]:9050" } });
    expect(parseProxyUrl("socks5h://10.0.0.1:1080")).toMatchObject({ ok: true, proxy: { kind: "socks5", host: "10.0.0.1" } });
  });

  it("refuses what it cannot use without echoing the URL", () => {
    expect(parseProxyUrl("not a url with secret")).toEqual({ ok: false, detail: "proxy URL is not valid" });
    expect(parseProxyUrl("ftp://user:secret@127.0.0.1:21")).toEqual({ ok: false, detail: "proxy scheme ftp: is not supported" });
    expect(parseProxyUrl("http://u:%E0%A4%A@p:1")).toEqual({ ok: false, detail: "proxy credentials are not valid percent-encoding" });
  });
});

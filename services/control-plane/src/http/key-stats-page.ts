/**
 * The /stats page: one self-contained HTML document (style and script
 * inline, nothing fetched but the report) where a key holder pastes their key
 * and sees its usage and limits. The key goes only into the x-api-key header
 * of a POST to /stats/usage: the input has no name and the form cannot be
 * submitted (its action is forbidden by the Content-Security-Policy), so the
 * key never reaches a URL, a history entry or a log line. Nothing is kept in
 * the browser. Every value from the report is written as text, never as HTML.
 * The layout is one column at phone width.
 */
import { createHash } from "node:crypto";

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa}
main{max-width:880px;margin:0 auto;padding:16px}
h1{font-size:1.4em;margin:8px 0 4px}
h2{font-size:1.1em;margin:24px 0 8px}
p{margin:4px 0}
.muted{color:#59636e;font-size:.9em}
form{display:flex;flex-wrap:wrap;gap:8px;margin:16px 0}
input{flex:1 1 240px;min-width:0;padding:10px;font:inherit;border:1px solid #d1d9e0;border-radius:6px}
button{padding:10px 16px;font:inherit;border:0;border-radius:6px;background:#1f6feb;color:#fff;cursor:pointer}
button:disabled{opacity:.6}
#error{color:#b42318;background:#fef3f2;border:1px solid #fecdca;border-radius:6px;padding:10px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:8px}
.card{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:12px}
.card h3{margin:0 0 4px;font-size:.85em;color:#59636e;font-weight:600;text-transform:uppercase}
.cost{font-size:1.5em;font-weight:600}
.scroll{overflow-x:auto;background:#fff;border:1px solid #d1d9e0;border-radius:8px}
table{border-collapse:collapse;width:100%}
th,td{padding:8px 10px;text-align:left;border-bottom:1px solid #eef1f4;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td:first-child{white-space:normal;overflow-wrap:anywhere}
tr:last-child td{border-bottom:0}
.limits{display:grid;gap:8px}
.limit{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:10px 12px}
.limit-head{display:flex;justify-content:space-between;gap:8px;flex-wrap:wrap}
.limit-name{font-weight:600}
meter{display:block;width:100%;height:10px;margin:6px 0}
@media (max-width:480px){main{padding:12px}th,td{padding:6px 8px}}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:0;background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:12px}
dt{color:#59636e}
dd{margin:0;overflow-wrap:anywhere}
`;

const SCRIPT = `
"use strict";
const $ = (id) => document.getElementById(id);
const n = (v) => Number(v).toLocaleString("en-US");
const usd = (v) => "$" + Number(v).toFixed(v > 0 && v < 0.01 ? 4 : 2);
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");
function span(seconds) {
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["min", 60]]) if (seconds % size === 0) return n(seconds / size) + " " + unit;
  return n(seconds) + " s";
}
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) tr.append(c instanceof Node ? c : el("td", c[0], c[1]));
  return tr;
}
function fillTable(id, rows, empty, columns) {
  const body = $(id);
  body.replaceChildren();
  if (rows.length === 0) {
    const td = el("td", empty, "muted");
    td.colSpan = columns;
    body.append(row([td]));
  }
  for (const r of rows) body.append(row(r));
}
function showTotals(prefix, t) {
  $(prefix + "-cost").textContent = usd(t.costUsd);
  $(prefix + "-requests").textContent = n(t.requests);
  $(prefix + "-tokens").textContent = n(t.totalTokens);
}
const LIMITS = [
  ["concurrency", "Requests at once", n],
  ["requests", "Requests per window", n],
  ["tokens", "Tokens per window", n],
  ["dailyCostUsd", "Cost today", usd],
  ["weeklyOpusCostUsd", "Opus cost this week", usd],
  ["totalCostUsd", "Total cost", usd],
];
function limitBlocks(limits) {
  const blocks = [];
  for (const [name, title, fmt] of LIMITS) {
    const l = limits[name];
    if (!l) continue;
    const block = el("div", undefined, "limit");
    block.dataset.limit = name;
    const head = el("div", undefined, "limit-head");
    const left = el("span");
    left.append(el("b", fmt(l.remaining), "left"), " left");
    head.append(el("span", title, "limit-name"), left);
    const meter = document.createElement("meter");
    meter.min = 0;
    meter.max = l.limit;
    meter.high = l.limit * 0.8;
    meter.value = Math.min(l.used, l.limit);
    const note = el("p", undefined, "muted");
    note.append(el("span", fmt(l.used), "used"), " of ", el("span", fmt(l.limit), "max"), " used");
    if (l.windowSeconds) note.append(" in any " + span(l.windowSeconds));
    if (l.resetsAt) note.append(", resets " + when(l.resetsAt));
    block.append(head, meter, note);
    blocks.push(block);
  }
  return blocks;
}
function show(r) {
  $("key-name").textContent = r.key.name;
  $("key-prefix").textContent = r.key.prefix + "…";
  showTotals("today", r.usage.today);
  showTotals("week", r.usage.thisWeek);
  showTotals("total", r.usage.total);
  const blocks = limitBlocks(r.limits);
  $("limits").replaceChildren(...(blocks.length ? blocks : [el("p", "This key has no limits.", "muted")]));
  const e = r.expiry;
  $("expiry").textContent = e.effectiveExpiresAt ? when(e.effectiveExpiresAt)
    : e.expiresAfterFirstUseSeconds ? span(e.expiresAfterFirstUseSeconds) + " after its first request" : "Never";
  $("models").textContent = r.allowedModels.length ? r.allowedModels.join(", ") : "All models";
  $("platforms").textContent = r.platforms.length ? r.platforms.join(", ") : "All platforms";
  $("first-used").textContent = r.key.firstUsedAt ? when(r.key.firstUsedAt) : "Not yet";
  fillTable("by-model", r.usage.byModel.map((m) => [[m.model], [n(m.requests), "num"], [n(m.totalTokens), "num"], [usd(m.costUsd), "num"]]), "No requests in these days.", 4);
  const days = r.usage.byDay.filter((d) => d.requests > 0).reverse();
  fillTable("by-day", days.map((d) => [[d.day], [n(d.requests), "num"], [n(d.totalTokens), "num"], [usd(d.costUsd), "num"]]), "No requests in these days.", 4);
  $("generated").textContent = "As of " + when(r.generatedAt) + ".";
  $("report").hidden = false;
}
function fail(message) {
  $("report").hidden = true;
  for (const id of ["limits", "by-model", "by-day"]) $(id).replaceChildren();
  for (const id of ["key-name", "key-prefix", "expiry", "models", "platforms", "first-used", "generated"]) $(id).textContent = "";
  for (const p of ["today", "week", "total"]) for (const f of ["cost", "requests", "tokens"]) $(p + "-" + f).textContent = "";
  $("error").textContent = message;
  $("error").hidden = false;
}
$("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = $("key").value.trim();
  if (!key) return fail("Paste your API key first.");
  $("error").hidden = true;
  $("submit").disabled = true;
  try {
    const res = await fetch("/stats/usage", { method: "POST", headers: { "x-api-key": key }, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" });
    const body = await res.json().catch(() => null);
    if (res.ok && body && body.usage) return show(body);
    const message = (body && body.error && body.error.message) || "The request failed (" + res.status + ").";
    const retry = res.headers.get("retry-after");
    fail(res.status === 429 && retry ? message + " (retry in " + retry + " s)" : message);
  } catch (err) {
    fail("The server could not be reached.");
  } finally {
    $("submit").disabled = false;
  }
});
`;

const BODY = `<main>
<h1>Your key's usage</h1>
<p class="muted">Paste your API key to see what it used, its limits and what is left of them. The key is sent to this server in a header, and is not kept.</p>
<form id="form" method="post" action="/stats/usage" autocomplete="off">
<input id="key" type="password" placeholder="cr_…" aria-label="API key" autocomplete="off" spellcheck="false" required>
<button id="submit" type="submit">Show usage</button>
</form>
<p id="error" role="alert" hidden></p>
<section id="report" hidden aria-live="polite">
<h2><span id="key-name"></span> <span class="muted" id="key-prefix"></span></h2>
<div class="cards">
<div class="card" data-testid="today"><h3>Today (UTC)</h3><div class="cost" id="today-cost"></div><p><span id="today-requests"></span> requests</p><p><span id="today-tokens"></span> tokens</p></div>
<div class="card" data-testid="week"><h3>This week</h3><div class="cost" id="week-cost"></div><p><span id="week-requests"></span> requests</p><p><span id="week-tokens"></span> tokens</p></div>
<div class="card" data-testid="total"><h3>Total</h3><div class="cost" id="total-cost"></div><p><span id="total-requests"></span> requests</p><p><span id="total-tokens"></span> tokens</p></div>
</div>
<h2>Limits</h2>
<div class="limits" id="limits"></div>
<h2>Access</h2>
<dl><dt>Expires</dt><dd id="expiry"></dd><dt>First used</dt><dd id="first-used"></dd><dt>Models</dt><dd id="models"></dd><dt>Platforms</dt><dd id="platforms"></dd></dl>
<h2>By model, last 30 days</h2>
<div class="scroll"><table><thead><tr><th>Model</th><th class="num">Requests</th><th class="num">Tokens</th><th class="num">Cost</th></tr></thead><tbody id="by-model"></tbody></table></div>
<h2>By day (UTC)</h2>
<div class="scroll"><table><thead><tr><th>Day</th><th class="num">Requests</th><th class="num">Tokens</th><th class="num">Cost</th></tr></thead><tbody id="by-day"></tbody></table></div>
<p class="muted" id="generated"></p>
</section>
</main>`;

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

/** The page. */
export const KEY_STATS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Your key's usage</title><style>${STYLE}</style></head>
<body>${BODY}<script>${SCRIPT}</script></body></html>
`;

/**
 * Only the page's own style and script run, it talks to nothing but this server, and no form of it can
 * be submitted anywhere (a submit without the script would otherwise send the form to a URL).
 */
export const KEY_STATS_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
